package io.pgresilience.lab.deployed;

import io.pgresilience.lab.Deadlines;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.lab.Leftovers;
import io.pgresilience.support.CleanEnvironment;
import io.pgresilience.support.LabException;
import io.pgresilience.support.Wait;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A part of a deployment run as a process of the lab (nginx, Redis): started in the lab's directory, its output in a
 * log there, its pid recorded so that a later run stops it after a SIGKILL (lab/Leftovers), stopped in teardown with
 * its whole tree; its log kept in reports/logs.
 */
final class PartProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;
    private final LabDirectory directory;

    private PartProcess(String name, Process process, Path log, LabDirectory directory) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.directory = directory;
    }

    static PartProcess start(String name, List<String> argv, Path log, LabDirectory directory) {
        try {
            Files.createDirectories(log.getParent());
            ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            CleanEnvironment.scrub(pb.environment());
            Process p = pb.start();
            directory.registerProcess(name, p.toHandle());
            return new PartProcess(name, p, log, directory);
        } catch (IOException e) {
            throw new LabException("cannot start " + name + " (" + argv.get(0) + "): " + e.getMessage(), e);
        }
    }

    /** Polls until the port accepts a connection; fails at once, with its log's last lines, if the process exits. */
    void awaitPort(int port, Deadlines deadlines) {
        boolean up = Wait.until(name + " listens on 127.0.0.1:" + port, deadlines.operation(), deadlines.poll(), () -> {
            if (!process.isAlive()) {
                throw new Wait.GiveUp(new LabException(name + " exited with code " + process.exitValue() + " while starting: " + tail(3)));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return true;
            } catch (IOException e) {
                return false;
            }
        }, Boolean.TRUE::equals, false);
        if (!up) {
            close();
            throw new LabException(name + " did not listen on 127.0.0.1:" + port + " within " + deadlines.operation().toMillis()
                    + " ms: " + tail(3));
        }
    }

    boolean alive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    String tail(int n) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public void close() {
        Leftovers.killTree(process.toHandle());
        directory.forgetProcess(name);
        try {
            Path logs = Files.createDirectories(Path.of("reports", "logs"));
            Files.copy(log, logs.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            System.err.println("pg-resilience: " + name + "'s log could not be kept: " + e.getMessage());
        }
    }
}
