package io.pgresilience.faults.kernel;

import io.pgresilience.support.Command;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The kernel's network tools ({@code ip}, {@code nft}) as this room runs them, and what running them needs. */
final class Ip {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** Capability bits in /proc/self/status CapEff. */
    private static final int CAP_NET_ADMIN = 12;
    private static final int CAP_SYS_ADMIN = 21;

    private Ip() {
    }

    /** {@code ip ARGS}, insisting on success. */
    static String ip(String what, String... args) {
        return command(tool("ip"), List.of(args)).check(what);
    }

    /** {@code ip ARGS}; a non-zero exit is returned. */
    static Command.Result ipMay(String... args) {
        return command(tool("ip"), List.of(args)).run();
    }

    /** {@code nft -f -} inside a namespace, with the script on standard input. */
    static String nftScript(String namespace, String what, String script) {
        return Command.of(inNamespace(namespace, List.of(tool("nft"), "-f", "-"))).input(script).timeout(TIMEOUT).check(what);
    }

    /** {@code nft ARGS} inside a namespace, insisting on success. */
    static String nft(String namespace, String what, String... args) {
        List<String> argv = new ArrayList<>();
        argv.add(tool("nft"));
        argv.addAll(List.of(args));
        return Command.of(inNamespace(namespace, argv)).timeout(TIMEOUT).check(what);
    }

    static List<String> inNamespace(String namespace, List<String> argv) {
        List<String> all = new ArrayList<>(List.of(tool("ip"), "netns", "exec", namespace));
        all.addAll(argv);
        return all;
    }

    private static Command command(String program, List<String> args) {
        List<String> argv = new ArrayList<>();
        argv.add(program);
        argv.addAll(args);
        return Command.of(argv).timeout(TIMEOUT);
    }

    /** The program's absolute path when found on the PATH or in the sbin folders (a non-root PATH often lacks them). */
    static String tool(String name) {
        return locate(name).map(Path::toString).orElse(name);
    }

    static Optional<Path> locate(String name) {
        Set<String> dirs = new LinkedHashSet<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        return dirs.stream().filter(d -> !d.isBlank()).map(d -> Path.of(d, name)).filter(Files::isExecutable).findFirst();
    }

    /**
     * Whether this process may make network namespaces: CAP_NET_ADMIN for links, addresses and nftables, and
     * CAP_SYS_ADMIN because {@code ip netns add} unshares and bind-mounts the namespace (root normally holds both).
     */
    static boolean netAdmin() {
        return capability(CAP_NET_ADMIN) && capability(CAP_SYS_ADMIN);
    }

    private static boolean capability(int bit) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16);
                    return (caps & (1L << bit)) != 0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc (not Linux): no kernel faults
        }
        return false;
    }

    /** What is missing for kernel faults, empty when nothing is. */
    static List<String> missing() {
        List<String> missing = new ArrayList<>();
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            missing.add("Linux (this is " + System.getProperty("os.name") + ")");
        }
        if (!netAdmin()) {
            missing.add("root, or CAP_NET_ADMIN and CAP_SYS_ADMIN (ip netns add mounts the namespace)");
        }
        if (locate("ip").isEmpty()) {
            missing.add("ip (apt-get install -y iproute2)");
        }
        if (locate("nft").isEmpty()) {
            missing.add("nft (apt-get install -y nftables)");
        }
        return missing;
    }
}
