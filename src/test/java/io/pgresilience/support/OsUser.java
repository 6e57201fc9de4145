package io.pgresilience.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The operating-system user that runs PostgreSQL. PostgreSQL refuses to run as root, and CI runs as
 * root: then every PostgreSQL program is run through {@code runuser} as an unprivileged user.
 */
public final class OsUser {

    private final String name;
    private final boolean switchUser;

    private OsUser(String name, boolean switchUser) {
        this.name = name;
        this.switchUser = switchUser;
    }

    /** @param preferred the user to switch to when running as root (e.g. "postgres"); blank: pick one */
    public static OsUser forPostgres(String preferred) {
        String me = System.getProperty("user.name");
        if (!isRoot()) {
            return new OsUser(me, false);
        }
        if (!Files.isExecutable(Path.of("/usr/sbin/runuser")) && !Files.isExecutable(Path.of("/sbin/runuser"))) {
            throw new LabException("running as root, PostgreSQL must run as another user, but runuser (util-linux) is missing");
        }
        List<String> candidates = preferred == null || preferred.isBlank() ? List.of("postgres", "nobody") : List.of(preferred);
        for (String candidate : candidates) {
            if (Command.of("id", "-u", candidate).run().ok()) {
                return new OsUser(candidate, true);
            }
        }
        throw new LabException("running as root, PostgreSQL needs an unprivileged OS user, but none of " + candidates
                + " exists (create one, or set -Dlab.os-user=NAME)");
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    public String name() {
        return name;
    }

    /** The command, run as this user. */
    public List<String> wrap(List<String> argv) {
        if (!switchUser) {
            return argv;
        }
        List<String> out = new ArrayList<>(List.of("runuser", "-u", name, "--"));
        out.addAll(argv);
        return out;
    }

    /** Hands a directory tree to this user (as root), so PostgreSQL may own its data directory. */
    public void own(Path dir) {
        if (switchUser) {
            Command.of("chown", "-R", name + ":", dir.toString()).check("chown " + dir);
        }
    }

    /** Whether this user can create files in the directory: all its parents must be searchable. */
    public boolean canWrite(Path dir) {
        return Command.of(wrap(List.of("test", "-w", dir.toString(), "-a", "-x", dir.toString()))).run().ok();
    }
}
