package io.pgresilience.lab.deployed;

import io.pgresilience.config.DeploymentSpec;
import io.pgresilience.lab.Deadlines;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.support.Command;
import io.pgresilience.support.LabException;
import io.pgresilience.support.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Redis (Debian's redis-server) as the deployment's cache, with the flags of ContextForge's docker-compose.yml; on a
 * free loopback port, no persistence (compose mounts no volume for it), in the lab's directory.
 */
public final class Redis implements AutoCloseable {

    public static final List<Path> BINARIES = List.of(Path.of("/usr/bin/redis-server"), Path.of("/usr/local/bin/redis-server"));
    private static final List<String> FLAGS = List.of("maxmemory", "maxmemory-policy", "tcp-backlog", "timeout", "tcp-keepalive",
            "maxclients");

    private final PartProcess process;
    private final int port;

    private Redis(PartProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    public static Path locate() {
        return BINARIES.stream().filter(Files::isExecutable).findFirst().orElseThrow(() -> new LabException(
                "deployment needs Redis: not found at " + BINARIES + "; apt-get install redis-server"));
    }

    /** "Redis server v=7.0.15 ..." */
    public static String versionOutput() {
        return Command.of(locate().toString(), "--version").run().output().strip().replaceFirst("^.*v=", "");
    }

    public static Redis start(LabDirectory directory, Deadlines deadlines, DeploymentSpec spec) {
        Path dir = directory.path().resolve("redis");
        int port = Ports.free();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new LabException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        List<String> argv = new ArrayList<>(List.of(locate().toString(), "--bind", "127.0.0.1", "--port", Integer.toString(port),
                "--dir", dir.toString(), "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes"));
        for (String flag : FLAGS) {
            spec.find("redis", flag).ifPresent(s -> {
                argv.add("--" + flag);
                argv.add(s.value());
            });
        }
        PartProcess p = PartProcess.start("redis", argv,
                dir.resolve("redis-" + directory.path().getFileName().toString().replaceFirst(".*-lab", "lab") + ".log"), directory);
        p.awaitPort(port, deadlines);
        return new Redis(p, port);
    }

    public String url() {
        return "redis://127.0.0.1:" + port + "/0";
    }

    public boolean alive() {
        return process.alive();
    }

    @Override
    public void close() {
        process.close();
    }
}
