package io.pgresilience.lab.deployed;

import io.pgresilience.config.DeploymentSpec;
import io.pgresilience.lab.DbCluster;
import io.pgresilience.lab.DbNode;
import io.pgresilience.lab.PgBouncer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The lab's side of a deployment (-Ddeployment=NAME): every part installed in the version it needs, checked before
 * anything starts; PgBouncer's settings as the deployment ships them (its sizes scaled where it says so); PostgreSQL's
 * server flags set on every node.
 */
public final class DeployedLab {

    /** Set only at a server's start (postmaster context): left at the lab's where the deployment scales them. */
    static final Set<String> RESTART_ONLY = Set.of("max_connections", "shared_buffers", "wal_buffers", "max_worker_processes");
    /** PgBouncer settings the lab writes itself (its port is free, its auth the lab's SCRAM file) or that are not ini keys. */
    static final Set<String> NOT_IN_INI = Set.of("version", "listen_port", "auth_type");

    private DeployedLab() {
    }

    /** Every part there in the version the deployment needs: one line for the first that is not. Returns PgBouncer's binary. */
    public static Path check(DeploymentSpec spec, String pgbouncerBin) {
        Path pgbouncer = PgBouncer.locate(pgbouncerBin);
        spec.checkVersion("pgbouncer", pgbouncer.toString(), PgBouncer.versionOf(pgbouncer));
        spec.checkVersion("nginx", Nginx.locate().toString(), Nginx.versionOutput().replaceFirst("^.*nginx/", ""));
        spec.checkVersion("redis", Redis.locate().toString(), Redis.versionOutput());
        return pgbouncer;
    }

    /** PgBouncer's [pgbouncer] settings as the deployment ships them, scaled where it says so. */
    public static Map<String, String> pgbouncerSettings(DeploymentSpec spec) {
        Map<String, String> out = new LinkedHashMap<>();
        spec.settings("pgbouncer").stream().filter(s -> !NOT_IN_INI.contains(s.name())).forEach(s -> out.put(s.name(), s.value()));
        return out;
    }

    /**
     * PostgreSQL's flags of the deployment on every node (ALTER SYSTEM, then a reload); those only a restart sets stay
     * at the lab's where the deployment scales them. Returns what was set, for the run context.
     */
    public static List<String> applyServerSettings(DbCluster cluster, DeploymentSpec spec) {
        List<String> set = new ArrayList<>();
        for (DeploymentSpec.Setting s : spec.settings("postgresql")) {
            if (RESTART_ONLY.contains(s.name())) {
                continue;
            }
            for (DbNode node : cluster.nodes()) {
                node.execute("postgres", "ALTER SYSTEM SET " + s.name() + " = '" + s.value().replace("'", "''") + "'");
            }
            set.add(s.name() + "=" + s.value());
        }
        for (DbNode node : cluster.nodes()) {
            node.execute("postgres", "SELECT pg_reload_conf()");
        }
        return set;
    }
}
