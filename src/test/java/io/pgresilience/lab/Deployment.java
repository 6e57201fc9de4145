package io.pgresilience.lab;

import io.pgresilience.support.LabException;
import java.util.Arrays;
import java.util.List;

/**
 * How the gateway is deployed against the database (-Dtopology=…): straight to the nodes (through the fault proxies),
 * or through PgBouncer in transaction mode as ContextForge's docker-compose.yml deploys it, or through
 * HAProxy to a Patroni cluster (CrunchyData PGO's way).
 */
public enum Deployment {
    DIRECT("direct", "the gateway connects to the database nodes (each through its fault proxy)"),
    PGBOUNCER("pgbouncer", "the gateway connects to PgBouncer (transaction pool mode), PgBouncer to the primary; a fault "
            + "on the database acts between PgBouncer and PostgreSQL, and PgBouncer is re-pointed on failover"),
    PATRONI("patroni", "the gateway connects to HAProxy, which routes to the leader that Patroni (with etcd) elects; a fault on "
            + "the database acts between HAProxy and PostgreSQL, the standby streams from the leader through a link of its "
            + "own, and Patroni, not the suite, fails over and switches over");

    private final String key;
    private final String phrase;

    Deployment(String key, String phrase) {
        this.key = key;
        this.phrase = phrase;
    }

    public String key() {
        return key;
    }

    public String phrase() {
        return phrase;
    }

    public static List<String> keys() {
        return Arrays.stream(values()).map(Deployment::key).toList();
    }

    /** The deployment a -Dtopology value names; anything else is one clear line. */
    public static Deployment of(String key) {
        return Arrays.stream(values()).filter(d -> d.key.equals(key.trim())).findFirst().orElseThrow(() -> new LabException(
                "unknown topology '" + key + "' (known: " + String.join(", ", keys()) + "; and all, which runs each in turn: "
                + "mvn test -Dtopology=all)"));
    }
}
