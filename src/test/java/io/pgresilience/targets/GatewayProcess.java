package io.pgresilience.targets;

import io.pgresilience.support.Wait;

import io.pgresilience.lab.LabDirectory;
import io.pgresilience.support.LabException;
import io.pgresilience.lab.Leftovers;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A gateway started as its own process: secrets go in its environment (never its command line), its output
 * goes to a log file, its pid is recorded so that a later run can stop it if this JVM is killed.
 */
public final class GatewayProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final GatewayLog log;
    private final long logStart;
    private final LabDirectory lab;

    private GatewayProcess(String name, Process process, GatewayLog log, long logStart, LabDirectory lab) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.logStart = logStart;
        this.lab = lab;
    }

    public static GatewayProcess start(String name, List<String> argv, Map<String, String> env, Path logFile,
                                       LabDirectory lab) {
        return start(name, argv, env, logFile, lab, null);
    }

    /** @param workDir the process's working directory (null: the suite's) */
    public static GatewayProcess start(String name, List<String> argv, Map<String, String> env, Path logFile,
                                       LabDirectory lab, Path workDir) {
        try {
            Files.createDirectories(logFile.getParent());
            ProcessBuilder pb = new ProcessBuilder(argv)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            if (workDir != null) {
                Files.createDirectories(workDir);
                pb.directory(workDir.toFile());
            }
            // The shell's environment stays out (a PG* variable would change a libpq gateway): a small base, then the profile's.
            pb.environment().clear();
            pb.environment().putAll(io.pgresilience.support.CleanEnvironment.base());
            pb.environment().putAll(env);
            GatewayLog log = new GatewayLog(logFile);
            long logStart = log.size(); // the file is appended to: errors quote only this process's lines
            Process p = pb.start();
            lab.registerProcess(name, p.toHandle());
            return new GatewayProcess(name, p, log, logStart, lab);
        } catch (IOException e) {
            throw new LabException("cannot start " + name + " (" + argv.get(0) + "): " + e.getMessage(), e);
        }
    }

    /** Polls the URL until it answers 200; fails at once, with the log's last lines, if the process exits. */
    public void awaitHttp200(String url, Duration within) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build();
        String[] lastAnswer = {"nothing (not listening)"};
        boolean ok = Wait.until(name + " answers 200 at " + url, within, Duration.ofMillis(200), () -> {
            if (!process.isAlive()) {
                // A gateway that refuses its configuration says why in its last line.
                throw new Wait.GiveUp(new LabException(name + " exited with code " + process.exitValue() + " while starting: "
                        + log.tailSince(logStart, 1)));
            }
            lastAnswer[0] = HttpCheck.answer(http, request);
            return lastAnswer[0].startsWith("200");
        }, Boolean.TRUE::equals, false);
        if (!ok) {
            throw new LabException(name + " did not answer 200 at " + url + " within " + within.toSeconds() + " s (its last answer: "
                    + lastAnswer[0] + "); last log lines: " + log.tailSince(logStart, 5).replace('\n', ' '));
        }
    }

    /**
     * Whether the gateway is ready again within the deadline. If not, it did not recover from the last scenario by
     * itself: that is said on the console, and the caller restarts it so the next scenario starts fair.
     */
    public boolean recoversWithin(String url, Duration within) {
        try {
            awaitHttp200(url, within);
            return true;
        } catch (LabException e) {
            System.err.println("pg-resilience: " + name + " was not ready " + within.toSeconds() + " s after the lab was "
                    + "repaired (it did not recover from the previous scenario by itself); restarting it");
            return false;
        }
    }

    public boolean alive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    public GatewayLog log() {
        return log;
    }

    @Override
    public void close() {
        Leftovers.killTree(process.toHandle());
        lab.forgetProcess(name);
    }
}
