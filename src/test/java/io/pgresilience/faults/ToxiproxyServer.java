package io.pgresilience.faults;

import eu.rekawek.toxiproxy.ToxiproxyClient;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.lab.Leftovers;
import io.pgresilience.support.Command;
import io.pgresilience.support.LabException;
import io.pgresilience.support.Ports;
import io.pgresilience.support.Wait;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A real Toxiproxy server (Shopify's, built from Go), one per lab, making the lab's fault proxies through its HTTP API
 * (toxiproxy-java). Started on a free loopback port, its pid recorded in the lab's run directory so that a run after a
 * SIGKILL stops it; stopped with the lab.
 */
public final class ToxiproxyServer implements ProxyMaker {

    /** The version the suite is built and measured against ({@code go install ...@v2.12.0}). */
    public static final String VERSION = "2.12.0";
    private static final String INSTALL = "go install github.com/Shopify/toxiproxy/v2/cmd/server@v" + VERSION
            + " (then -Dtoxiproxy.server=$(go env GOPATH)/bin/server, or copy it to toxiproxy-server on the PATH)";

    private static final int PORT_ATTEMPTS = 3;

    private final Process process;
    private final LabDirectory lab;
    private final ToxiproxyClient client;
    private final String version;

    private ToxiproxyServer(Process process, LabDirectory lab, ToxiproxyClient client, String version) {
        this.process = process;
        this.lab = lab;
        this.client = client;
        this.version = version;
    }

    /** Starts a server for this lab; a missing or wrong binary is one clear line naming the command that builds it. */
    public static ToxiproxyServer start(String configuredBinary, LabDirectory lab, Duration within) {
        Path binary = locate(configuredBinary);
        int port = Ports.free();
        Path config = lab.path().resolve("toxiproxy.json"); // its path also marks the process as this run's
        try {
            Files.writeString(config, "[]\n");
            ProcessBuilder pb = new ProcessBuilder(binary.toString(), "-host", "127.0.0.1", "-port", Integer.toString(port),
                    "-config", config.toString()).redirectErrorStream(true)
                    .redirectOutput(lab.path().resolve("toxiproxy.log").toFile());
            pb.environment().put("LOG_LEVEL", "warn");
            Process p = pb.start();
            lab.registerProcess("toxiproxy", p.toHandle());
            ToxiproxyClient client = new ToxiproxyClient("127.0.0.1", port);
            String version = Wait.until("Toxiproxy answers on port " + port, within, Duration.ofMillis(50), () -> {
                if (!p.isAlive()) {
                    throw new Wait.GiveUp(new LabException("Toxiproxy (" + binary + ") exited with code " + p.exitValue()
                            + " while starting: " + tail(lab.path().resolve("toxiproxy.log"))));
                }
                try {
                    return client.version();
                } catch (IOException notYet) {
                    return null;
                }
            }, v -> v != null, false);
            if (version == null) {
                Leftovers.killTree(p.toHandle());
                throw new LabException("Toxiproxy did not answer on 127.0.0.1:" + port + " within " + within.toMillis() + " ms");
            }
            return new ToxiproxyServer(p, lab, client, versionOf(version));
        } catch (IOException e) {
            throw new LabException("cannot start Toxiproxy (" + binary + "): " + e.getMessage(), e);
        }
    }

    /** The configured binary, else toxiproxy-server on the PATH, else the Go install's server (checked to be Toxiproxy). */
    public static Path locate(String configured) {
        List<Path> candidates = new ArrayList<>();
        if (!configured.isBlank()) {
            candidates.add(Path.of(configured));
        } else {
            for (String dir : Optional.ofNullable(System.getenv("PATH")).orElse("").split(":")) {
                if (!dir.isBlank()) {
                    candidates.add(Path.of(dir, "toxiproxy-server"));
                }
            }
            Optional.ofNullable(System.getenv("GOBIN")).ifPresent(d -> candidates.add(Path.of(d, "server")));
            candidates.add(Path.of(Optional.ofNullable(System.getenv("GOPATH")).orElse(System.getProperty("user.home") + "/go"), "bin", "server"));
        }
        for (Path c : candidates) {
            if (Files.isExecutable(c) && Command.of(c.toString(), "-version").run().output().toLowerCase().contains("toxiproxy")) {
                return c;
            }
        }
        throw new LabException("Toxiproxy server not found (" + (configured.isBlank() ? "toxiproxy-server on the PATH, $GOPATH/bin/server"
                : configured) + "): " + INSTALL);
    }

    /**
     * The version from the API's answer: plain text before 2.6, {"version": "..."} since. A server built with go
     * install says "git"; it is then the version the suite builds.
     */
    static String versionOf(String answer) {
        String v = answer.strip();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"version\"\\s*:\\s*\"([^\"]*)\"").matcher(v);
        if (m.find()) {
            v = m.group(1);
        }
        return v.equals("git") ? VERSION + " (built with go install: the server says \"git\")" : v;
    }

    @Override
    public FaultProxy start(String name, InetAddress listen, String upstreamHost, int upstreamPort) {
        for (int attempt = 1; ; attempt++) {
            try {
                return ToxiproxyFaultProxy.create(client, name, listen.getHostAddress(), Ports.free(listen), upstreamHost,
                        upstreamPort);
            } catch (UncheckedIOException e) {
                // a port found free can be taken by another process before Toxiproxy binds it: take another one
                if (attempt == PORT_ATTEMPTS || !String.valueOf(e.getMessage()).contains("address already in use")) {
                    throw e;
                }
                System.err.println("pg-resilience: " + e.getMessage() + "; trying another port");
            }
        }
    }

    @Override
    public String describe() {
        return "Toxiproxy " + version + " (a real server per lab, driven by toxiproxy-java)";
    }

    public String version() {
        return version;
    }

    @Override
    public void close() {
        Leftovers.killTree(process.toHandle());
        lab.forgetProcess("toxiproxy");
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
