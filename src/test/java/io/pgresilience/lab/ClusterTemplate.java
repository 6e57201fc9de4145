package io.pgresilience.lab;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.pgresilience.support.OsUser;
import io.pgresilience.support.LabException;
import io.pgresilience.support.Ports;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A stopped cluster made once per PostgreSQL version and recipe (initdb, the lab's settings, the gateway's role and
 * database, amcheck), kept beside the labs' run directories and copied for every lab: initdb costs about a second
 * here, a copy a tenth of that. It holds no password; each lab sets its own on its copy. Labs of one JVM (and of
 * several) may ask at once: it is built in a directory of its own and renamed into place.
 */
final class ClusterTemplate {

    private static final Object LOCK = new Object();

    /** One statement of the template's recipe, and the database it runs in. */
    record Step(String database, String sql) {
    }

    private ClusterTemplate() {
    }

    /** The template's data directory under root, built first if this version and recipe have none yet. */
    static Path ensure(Path root, PgBinaries bin, OsUser user, Deadlines deadlines, List<Step> setup) {
        Path template = root.resolve("template-" + key(bin.version(), setup)).resolve("data");
        synchronized (LOCK) {
            if (Files.isDirectory(template)) {
                return template;
            }
            Path build = root.resolve("template-build-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
            PgNode node = new PgNode("template", build, Ports.free(), bin, user, EmbeddedCluster.newSecret(), deadlines);
            try {
                node.init().start();
                for (Step step : setup) {
                    node.execute(step.database(), step.sql());
                }
                node.stop(StopMode.FAST);
                Files.createDirectories(template.getParent());
                try {
                    Files.move(build.resolve("data"), template, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException raced) {
                    if (!Files.isDirectory(template)) {
                        throw raced; // another JVM put one there first otherwise
                    }
                }
                return template;
            } catch (IOException e) {
                throw new LabException("cannot keep the template cluster in " + template + ": " + e.getMessage(), e);
            } finally {
                if (node.isRunning()) {
                    node.stop(StopMode.IMMEDIATE);
                }
                LabDirectory.deleteTree(build);
            }
        }
    }

    private static String key(String version, List<Step> setup) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update((version + "\n" + PgNode.INITDB + PgNode.SETTINGS + PgNode.HBA + setup.toString()).getBytes(StandardCharsets.UTF_8));
            Matcher m = Pattern.compile("\\d+(\\.\\d+)?").matcher(version);
            return (m.find() ? m.group() : "pg") + "-"
                    + HexFormat.of().formatHex(sha.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
