package io.pgresilience.lab.ha;

import io.pgresilience.lab.LabDirectory;
import io.pgresilience.lab.Leftovers;
import io.pgresilience.lab.NetworkPlace;
import io.pgresilience.support.LabException;
import io.pgresilience.support.OsUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * One long-running process of the HA stack (etcd, Patroni, HAProxy), run as the lab's OS user with its output in a
 * log file under the lab's directory; its pid is recorded so that a later run stops it after a SIGKILL. On close the
 * whole process tree goes and the log is kept in reports/logs.
 */
final class LabProcess {

    private final String name;
    private final List<String> argv;
    private final Path log;
    private final LabDirectory directory;
    private final OsUser user;
    private final NetworkPlace place;
    private Process process;

    LabProcess(String name, List<String> argv, Path log, LabDirectory directory, OsUser user) {
        this(name, argv, log, directory, user, null);
    }

    /** @param place the host it runs on (a network namespace of its own), or null for this host */
    LabProcess(String name, List<String> argv, Path log, LabDirectory directory, OsUser user, NetworkPlace place) {
        this.place = place;
        this.name = name;
        this.argv = argv;
        this.log = log;
        this.directory = directory;
        this.user = user;
    }

    /** Missing program: one line naming the Debian package that brings it. */
    static Path locate(String program, String debianPackage, String topology) {
        for (String dir : List.of("/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin")) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new LabException("topology=" + topology + " needs " + program + ": not found in /usr/bin, /usr/sbin, /usr/local/bin; "
                + "apt-get install " + debianPackage);
    }

    LabProcess start() {
        try {
            Files.createDirectories(log.getParent());
            if (!Files.exists(log)) {
                Files.createFile(log);
            }
            user.own(log.getParent());
            List<String> command = user.wrap(argv);
            ProcessBuilder pb = new ProcessBuilder(place == null ? command : place.enter(command)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            io.pgresilience.support.CleanEnvironment.scrub(pb.environment()); // Patroni's libpq must not read the shell's PG*
            process = pb.start();
            directory.registerProcess(name, process.toHandle());
            return this;
        } catch (IOException e) {
            throw new LabException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Ends the wait of a probe at once when the process has exited. */
    void checkAlive(String doing) {
        if (process != null && !process.isAlive()) {
            throw new io.pgresilience.support.Wait.GiveUp(new LabException(name + " exited with code " + process.exitValue()
                    + " while " + doing + ": " + tail(3)));
        }
    }

    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    Path log() {
        return log;
    }

    /**
     * Freezes (SIGSTOP) or thaws (SIGCONT) the program itself, not the children it started (Patroni's PostgreSQL keeps
     * running): a hung process, as a watchdog guards against. The program is the deepest process of the wrappers
     * (ip netns exec, runuser) whose command line names it.
     */
    void setFrozen(boolean frozen, String program) {
        if (process == null || !process.isAlive()) {
            throw new LabException(name + " does not run: cannot " + (frozen ? "freeze" : "thaw") + " it");
        }
        ProcessHandle target = java.util.stream.Stream.concat(java.util.stream.Stream.of(process.toHandle()), process.toHandle().descendants())
                .filter(h -> h.info().commandLine().map(c -> c.contains(program) && !c.contains("postgres:")).orElse(false))
                .reduce((a, b) -> b).orElseThrow(() -> new LabException("no process of " + name + " runs " + program));
        io.pgresilience.support.Command.of("kill", frozen ? "-STOP" : "-CONT", Long.toString(target.pid()))
                .check((frozen ? "freezing " : "thawing ") + name);
    }

    /** Stops the process tree; keeps the log. */
    void stop() {
        if (process != null) {
            // a frozen process would not take its SIGTERM
            process.toHandle().descendants().forEach(h -> io.pgresilience.support.Command.of("kill", "-CONT",
                    Long.toString(h.pid())).run());
            Leftovers.killTree(process.toHandle());
            directory.forgetProcess(name);
        }
    }

    /** Stops it and copies its log to reports/logs/<name>-labN.log. */
    void close() {
        stop();
        try {
            Path logs = Files.createDirectories(Path.of("reports", "logs"));
            if (Files.exists(log)) {
                Files.copy(log, logs.resolve(name + "-" + directory.path().getFileName().toString().replaceFirst(".*-lab", "lab")
                        + ".log"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            System.err.println("pg-resilience: the log of " + name + " could not be kept: " + e.getMessage());
        }
    }
}
