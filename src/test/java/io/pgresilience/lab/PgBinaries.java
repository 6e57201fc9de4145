package io.pgresilience.lab;

import io.pgresilience.support.LabException;
import io.pgresilience.support.Command;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where the PostgreSQL server programs are; found once, or a clear error naming the package to install. */
public final class PgBinaries {

    private static final List<String> NEEDED = List.of("initdb", "pg_ctl", "postgres", "pg_basebackup");

    private final Path bin;

    private PgBinaries(Path bin) {
        this.bin = bin;
    }

    /** @param configured -Dpg.bin, or blank to search the usual Debian/PGDG places, newest first */
    public static PgBinaries locate(String configured) {
        List<Path> tried = new ArrayList<>();
        if (configured != null && !configured.isBlank()) {
            tried.add(Path.of(configured));
        } else {
            for (int v : new int[] {18, 17, 16, 15}) {
                tried.add(Path.of("/usr/lib/postgresql/" + v + "/bin"));
                tried.add(Path.of("/usr/pgsql-" + v + "/bin"));
            }
        }
        for (Path dir : tried) {
            if (NEEDED.stream().allMatch(p -> Files.isExecutable(dir.resolve(p)))) {
                return new PgBinaries(dir);
            }
        }
        throw new LabException("PostgreSQL 15+ server binaries (initdb, pg_ctl, postgres, pg_basebackup) not found in "
                + tried.stream().map(Path::toString).toList()
                + ": install the Debian package postgresql-15 (apt-get install -y postgresql-15) or set -Dpg.bin=/path/to/bin");
    }

    public String path(String program) {
        return bin.resolve(program).toString();
    }

    public Path dir() {
        return bin;
    }

    public String version() {
        return Command.of(path("postgres"), "--version").check("postgres --version").trim();
    }
}
