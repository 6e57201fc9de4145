package io.pgresilience.lab;

import java.util.concurrent.TimeUnit;
import io.pgresilience.support.OsUser;
import io.pgresilience.support.LabException;
import io.pgresilience.support.Command;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Cleans up after runs that could not clean up themselves (a JVM killed with SIGKILL): every run directory
 * whose owner JVM is gone has its PostgreSQL servers stopped, its recorded processes killed and its data removed.
 */
public final class Leftovers {

    static final String OWNER_FILE = "owner.pid";

    private final PgBinaries bin;
    private final OsUser user;
    private final List<String> cleaned = new ArrayList<>();

    /** @param bin PostgreSQL's programs for a clean immediate stop, or null to kill the server's processes instead */
    public Leftovers(PgBinaries bin, OsUser user) {
        this.bin = bin;
        this.user = user;
    }

    /** What was cleaned, for one line in the run's output. */
    public List<String> cleaned() {
        return List.copyOf(cleaned);
    }

    public void clean(List<Path> roots) {
        for (Path root : roots) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> runs = Files.list(root)) {
                runs.filter(p -> p.getFileName().toString().startsWith("run-") && Files.isDirectory(p))
                        .filter(run -> !ofThisJvm(run) && !ownerAlive(run))
                        .forEach(this::cleanRun);
            } catch (IOException e) {
                throw new LabException("cannot list " + root + ": " + e.getMessage(), e);
            }
        }
    }

    private void cleanRun(Path run) {
        killRecordedProcesses(run.resolve("processes"));
        stopPostgres(run.resolve("nodes"));
        LabDirectory.deleteTree(run);
        cleaned.add("removed " + run);
    }

    private void killRecordedProcesses(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(f -> f.toString().endsWith(".pid")).forEach(f -> {
                Optional<ProcessHandle> p = recorded(f);
                p.ifPresent(handle -> {
                    killTree(handle);
                    cleaned.add("killed " + f.getFileName().toString().replace(".pid", "") + " (pid " + handle.pid() + ")");
                });
            });
        } catch (IOException e) {
            throw new LabException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private void stopPostgres(Path nodes) {
        if (!Files.isDirectory(nodes)) {
            return;
        }
        try (Stream<Path> dirs = Files.list(nodes)) {
            dirs.map(n -> n.resolve("data")).filter(d -> Files.exists(d.resolve("postmaster.pid"))).forEach(data -> {
                long pid = postmasterPid(data);
                Optional<ProcessHandle> p = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                        .filter(h -> h.info().command().map(c -> c.contains("postgres")).orElse(false));
                if (p.isEmpty()) {
                    return;
                }
                if (bin != null) {
                    Command.of(user.wrap(List.of(bin.path("pg_ctl"), "-D", data.toString(), "-m", "immediate", "-w", "-t", "20",
                            "stop"))).run();
                }
                if (p.get().isAlive()) {
                    killTree(p.get());
                }
                cleaned.add("stopped PostgreSQL (pid " + pid + ") in " + data);
            });
        } catch (IOException e) {
            throw new LabException("cannot list " + nodes + ": " + e.getMessage(), e);
        }
    }

    /** A lab of this JVM: another of its labs may be writing its owner file right now. */
    private static boolean ofThisJvm(Path run) {
        return run.getFileName().toString().contains("-" + ProcessHandle.current().pid() + "-lab");
    }

    private static boolean ownerAlive(Path run) {
        return recorded(run.resolve(OWNER_FILE)).isPresent();
    }

    /** The live process a pid file names: same pid and same start time (a reused pid is not it). */
    static Optional<ProcessHandle> recorded(Path pidFile) {
        try {
            String[] parts = Files.readString(pidFile).trim().split("\\s+");
            long pid = Long.parseLong(parts[0]);
            long started = parts.length > 1 ? Long.parseLong(parts[1]) : 0;
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(h -> started == 0 || h.info().startInstant().map(i -> Math.abs(i.toEpochMilli() - started) < 2_000)
                            .orElse(true));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static long postmasterPid(Path data) {
        try {
            return Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** SIGTERM to the process and its descendants, SIGKILL to whatever is left after a grace period. */
    public static void killTree(ProcessHandle root) {
        List<ProcessHandle> all = new ArrayList<>(root.descendants().toList());
        all.add(root);
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
    }
}
