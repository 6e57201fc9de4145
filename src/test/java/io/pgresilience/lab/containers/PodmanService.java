package io.pgresilience.lab.containers;

import io.pgresilience.support.Wait;

import io.pgresilience.lab.Deadlines;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.support.LabException;
import io.pgresilience.lab.Leftovers;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * podman's Docker-compatible API on a socket of this run, started by the suite when no engine answers: its pid
 * is recorded like any process of the lab, so a later run stops it if this JVM is killed; the lab stops it at
 * the end of the run, also when the run fails.
 */
final class PodmanService implements AutoCloseable {

    private static final String PROCESS_NAME = "podman-service";
    /** A unix socket path must fit in sun_path (108 bytes). */
    private static final int MAX_SOCKET_PATH = 100;

    private final Process process;
    private final Path socket;
    private final Path logFile;
    private final LabDirectory directory;

    private PodmanService(Process process, Path socket, Path logFile, LabDirectory directory) {
        this.process = process;
        this.socket = socket;
        this.logFile = logFile;
        this.directory = directory;
    }

    static PodmanService start(Path podman, Path config, LabDirectory directory, Path logFile, Deadlines deadlines) {
        if (!Files.isRegularFile(config)) {
            throw new LabException("podman settings " + config + " are missing (setting lab.podman-conf)");
        }
        Path socket = socketPath(directory);
        Process process;
        try {
            Files.createDirectories(logFile.getParent());
            Files.deleteIfExists(socket);
            ProcessBuilder pb = new ProcessBuilder(podman.toString(), "system", "service", "--time=0", "unix://" + socket)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(logFile.toFile()));
            pb.environment().put("CONTAINERS_CONF", config.toAbsolutePath().toString());
            process = pb.start();
        } catch (IOException e) {
            throw new LabException("cannot start podman system service: " + e.getMessage(), e);
        }
        directory.registerProcess(PROCESS_NAME, process.toHandle());
        PodmanService service = new PodmanService(process, socket, logFile, directory);
        try {
            service.awaitSocket(deadlines);
        } catch (RuntimeException | Error e) {
            service.close();
            throw e;
        }
        return service;
    }

    URI socketUri() {
        return URI.create("unix://" + socket);
    }

    private void awaitSocket(Deadlines deadlines) {
        boolean up = Wait.until("podman system service answers at " + socket, deadlines.operation(), deadlines.poll(), () -> {
            if (!process.isAlive()) {
                throw new Wait.GiveUp(new LabException("podman system service exited with code " + process.exitValue() + ": "
                        + lastLines()));
            }
            return EnginePing.answers(socketUri(), Duration.ofSeconds(1));
        }, Boolean.TRUE::equals, false);
        if (!up) {
            throw new LabException("podman system service did not open " + socket + " within "
                    + deadlines.operation().toSeconds() + " s: " + lastLines());
        }
    }

    private String lastLines() {
        try {
            return Files.exists(logFile) ? LogTail.of(Files.readString(logFile), 3) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static Path socketPath(LabDirectory directory) {
        Path inRun = directory.path().resolve("podman.sock").toAbsolutePath();
        if (inRun.toString().length() <= MAX_SOCKET_PATH) {
            return inRun;
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "pg-resilience-" + ProcessHandle.current().pid() + ".sock");
    }

    /** Stops the service (its containers belong to conmon, so they must be removed before). */
    @Override
    public void close() {
        Leftovers.killTree(process.toHandle());
        directory.forgetProcess(PROCESS_NAME);
        try {
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // the run directory goes at the end anyway
        }
    }
}
