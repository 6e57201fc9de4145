package io.pgresilience.lab;

import java.util.stream.Stream;
import io.pgresilience.support.OsUser;
import io.pgresilience.support.LabException;
import io.pgresilience.support.Command;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * Where one lab keeps its data: {@code <root>/run-<time>-<pid>-lab<worker>/}, with an owner file naming the JVM,
 * and a pid file for every process it starts, so that a later run can clean up after one that was killed.
 */
public final class LabDirectory {

    /** When the project folder is not reachable by the PostgreSQL user (e.g. under /root), data goes here. */
    public static final Path FALLBACK_ROOT = Path.of(System.getProperty("java.io.tmpdir"), "pg-resilience");

    /** Where labs go by default: memory (a lab is a few dozen MB, copied from a template), else under target/. */
    public static final Path IN_MEMORY_ROOT = Path.of("/dev/shm", "pg-resilience");
    public static final Path PROJECT_ROOT = Path.of("target", "pg-resilience");

    private final Path runDir;

    /** The configured root, or by default {@link #IN_MEMORY_ROOT} where /dev/shm is a writable folder, else {@link #PROJECT_ROOT}. */
    public static Path root(String configured) {
        if (!configured.isBlank()) {
            return Path.of(configured);
        }
        Path shm = IN_MEMORY_ROOT.getParent();
        return Files.isDirectory(shm) && Files.isWritable(shm) ? IN_MEMORY_ROOT : PROJECT_ROOT;
    }

    /** Every place a lab of an earlier run may have been left. */
    public static List<Path> allRoots(String configured) {
        return Stream.of(root(configured), IN_MEMORY_ROOT, PROJECT_ROOT, FALLBACK_ROOT).distinct().toList();
    }

    private LabDirectory(Path runDir) {
        this.runDir = runDir;
    }

    public static LabDirectory create(Path root, OsUser user, Leftovers leftovers, int worker) {
        leftovers.clean(allRoots(root.toString()));
        String name = "run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
                + ProcessHandle.current().pid() + "-lab" + worker;
        Path dir = make(root.resolve(name));
        user.own(dir);
        if (!user.canWrite(dir)) {
            deleteTree(dir);
            make(FALLBACK_ROOT);
            FALLBACK_ROOT.toFile().setExecutable(true, false);
            FALLBACK_ROOT.toFile().setReadable(true, false);
            dir = make(FALLBACK_ROOT.resolve(name));
            user.own(dir);
            if (!user.canWrite(dir)) {
                throw new LabException("the PostgreSQL OS user '" + user.name() + "' cannot write to " + root + " nor to "
                        + FALLBACK_ROOT + "; set -Dlab.dir to a directory it can reach");
            }
            System.err.println("pg-resilience: " + root + " is not reachable by OS user '" + user.name()
                    + "'; lab data goes to " + dir);
        }
        LabDirectory lab = new LabDirectory(dir);
        lab.writeOwner();
        return lab;
    }

    public Path path() {
        return runDir;
    }

    public Path nodes() {
        return runDir.resolve("nodes");
    }

    /** Records a started process so that a later run can stop it if this JVM dies first. */
    public void registerProcess(String name, ProcessHandle process) {
        Path pids = make(runDir.resolve("processes"));
        String line = process.pid() + " " + process.info().startInstant().map(i -> i.toEpochMilli()).orElse(0L) + "\n";
        try {
            Files.writeString(pids.resolve(name + ".pid"), line);
        } catch (IOException e) {
            throw new LabException("cannot write pid file for " + name + ": " + e.getMessage(), e);
        }
    }

    public void forgetProcess(String name) {
        try {
            Files.deleteIfExists(runDir.resolve("processes").resolve(name + ".pid"));
        } catch (IOException ignored) {
            // the whole directory goes at the end anyway
        }
    }

    public void delete() {
        deleteTree(runDir);
    }

    private void writeOwner() {
        ProcessHandle me = ProcessHandle.current();
        try {
            Files.writeString(runDir.resolve(Leftovers.OWNER_FILE),
                    me.pid() + " " + me.info().startInstant().map(i -> i.toEpochMilli()).orElse(0L) + "\n");
        } catch (IOException e) {
            throw new LabException("cannot write " + runDir.resolve(Leftovers.OWNER_FILE) + ": " + e.getMessage(), e);
        }
    }

    private static Path make(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new LabException("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }

    static void deleteTree(Path dir) {
        if (Files.exists(dir)) {
            Command.of("rm", "-rf", dir.toString()).check("removing " + dir);
        }
    }
}
