package io.pgresilience.lab;

import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The embedded lab: two PostgreSQL servers from the machine's binaries, on free loopback ports, a primary
 * and a streaming standby, data under the run directory. Roles are read from the servers, never assumed:
 * after a failover the standby is the primary, and {@link #ensureHealthy()} rebuilds the other node.
 */
public final class EmbeddedCluster implements DbCluster {

    public static final String DATABASE = "mcpgateway";
    public static final String GATEWAY_ROLE = "gateway";

    /** Where a standby streams from, given its primary: the primary itself, or a fault proxy in front of it. */
    @FunctionalInterface
    public interface ReplicationRoute {
        java.net.InetSocketAddress to(DbNode primary);

        ReplicationRoute DIRECT = p -> java.net.InetSocketAddress.createUnresolved(p.host(), p.port());
    }

    private final List<PgNode> nodes;
    private final ReplicationRoute route;
    private final String superuserPassword;
    private final String gatewayPassword;
    private final String version;
    private final Deadlines deadlines;
    private long generation = 1;
    private boolean synchronous;

    private EmbeddedCluster(List<PgNode> nodes, String gatewayPassword, String version, Deadlines deadlines,
                            ReplicationRoute route, String superuserPassword) {
        this.nodes = nodes;
        this.route = route;
        this.superuserPassword = superuserPassword;
        this.gatewayPassword = gatewayPassword;
        this.version = version;
        this.deadlines = deadlines;
    }

    /** initdb + start the primary, create the gateway's role and database, back it up, start a standby from it. */
    public static EmbeddedCluster start(LabDirectory dir, PgBinaries bin, OsUser user, Deadlines deadlines,
                                        ReplicationRoute route) {
        String superPassword = secret();
        List<PgNode> nodes = new ArrayList<>();
        for (String name : List.of("node1", "node2")) {
            nodes.add(new PgNode(name, dir.nodes().resolve(name), Ports.free(), bin, user, superPassword, deadlines));
        }
        EmbeddedCluster cluster = new EmbeddedCluster(nodes, secret(), bin.version(), deadlines, route, superPassword);
        cluster.create();
        return cluster;
    }

    private void create() {
        PgNode primary = nodes.get(0);
        PgNode standby = nodes.get(1);
        primary.init().start();
        // The password is random letters and digits: safe inside a literal, and never logged.
        primary.execute("postgres", "CREATE ROLE " + GATEWAY_ROLE + " LOGIN PASSWORD '" + gatewayPassword + "'");
        primary.execute("postgres", "CREATE DATABASE " + DATABASE + " OWNER " + GATEWAY_ROLE);
        // amcheck (contrib) lets a failover scenario prove that no index or heap page is corrupt.
        primary.execute(DATABASE, "CREATE EXTENSION IF NOT EXISTS amcheck");
        Path backup = primary.backup("initial");
        java.net.InetSocketAddress upstream = route.to(primary);
        standby.initFromBackup(primary, backup, upstream.getHostString(), upstream.getPort()).start();
        awaitStreaming(primary, standby, deadlines.operation());
        primary.waitForCatchup(standby);
    }

    @Override
    public DbNode primary() {
        return writable().stream().max(Comparator.comparingInt(PgNode::timeline))
                .orElseThrow(() -> new LabException("no node of the lab accepts writes: " + states()));
    }

    @Override
    public DbNode standby() {
        DbNode primary = primary();
        return nodes.stream().filter(n -> n != primary).findFirst().orElseThrow();
    }

    @Override
    public List<DbNode> nodes() {
        return List.copyOf(nodes);
    }

    @Override
    public String database() {
        return DATABASE;
    }

    @Override
    public String gatewayRole() {
        return GATEWAY_ROLE;
    }

    @Override
    public String gatewayPassword() {
        return gatewayPassword;
    }

    @Override
    public java.util.Map<String, String> secrets() {
        return java.util.Map.of("database password of the gateway role", gatewayPassword,
                "database superuser password", superuserPassword);
    }

    @Override
    public long generation() {
        return generation;
    }

    @Override
    public String postgresVersion() {
        return version;
    }

    @Override
    public boolean synchronous() {
        return synchronous;
    }

    @Override
    public String topology() {
        try {
            return "primary " + primary() + " + streaming standby " + standby() + " (" + (synchronous ? "synchronous" : "asynchronous")
                    + " replication)";
        } catch (LabException e) {
            return states();
        }
    }

    @Override
    public void ensureHealthy() {
        List<PgNode> writable = writable();
        if (writable.isEmpty()) {
            // A scenario stopped the primary and failed before starting it again: start what is down.
            nodes.stream().filter(n -> !n.isRunning()).forEach(this::startQuietly);
            writable = writable();
        }
        if (writable.isEmpty()) {
            Optional<PgNode> standby = nodes.stream().filter(PgNode::isRunning).findFirst();
            if (standby.isEmpty()) {
                throw new LabException("no node of the lab could be started: " + states());
            }
            standby.get().promote();
            writable = writable();
        }
        PgNode primary = writable.stream().max(Comparator.comparingInt(PgNode::timeline)).orElseThrow();
        setSynchronous(primary, false);
        for (PgNode node : nodes) {
            if (node != primary && !healthyStandbyOf(primary, node)) {
                rebuildStandby(node, primary);
            }
        }
        PgNode standby = (PgNode) nodes.stream().filter(n -> n != primary).findFirst().orElseThrow();
        primary.waitForCatchup(standby);
        // Every scenario starts from the same lab: node1 primary, first in the gateway's multi-host URL.
        if (primary != nodes.get(0)) {
            switchoverTo(nodes.get(0));
        }
    }

    @Override
    public void switchoverTo(DbNode target) {
        PgNode node = (PgNode) target;
        PgNode primary = (PgNode) primary();
        if (node == primary) {
            return;
        }
        // A clean switchover: the old primary shuts down first, so the standby has every byte before promotion.
        primary.stop(StopMode.FAST);
        node.promote();
        node.pollQueryUntil("postgres", "SELECT pg_is_in_recovery()", "f");
        rebuildStandby(primary, node);
        node.waitForCatchup(primary);
    }

    @Override
    public void synchronousReplication(boolean on) {
        PgNode primary = (PgNode) primary();
        setSynchronous(primary, on);
        if (on) {
            primary.pollQueryUntil("postgres", "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'", "1");
        }
    }

    private void setSynchronous(PgNode primary, boolean on) {
        primary.execute("postgres", "ALTER SYSTEM SET synchronous_standby_names = '" + (on ? "*" : "") + "'");
        primary.execute("postgres", "SELECT pg_reload_conf()");
        synchronous = on;
    }

    /** Running, replaying (not paused, no apply delay) and streaming from this primary. */
    private boolean healthyStandbyOf(PgNode primary, PgNode node) {
        if (!node.isRunning()) {
            return false;
        }
        try {
            if (!node.isInRecovery()) {
                return false; // a second writable node: the stale side of a split brain
            }
            if ("t".equals(node.query("postgres", "SELECT pg_is_wal_replay_paused()"))) {
                node.execute("postgres", "SELECT pg_wal_replay_resume()");
            }
            if (!"0".equals(node.query("postgres", "SELECT setting FROM pg_settings WHERE name = 'recovery_min_apply_delay'"))) {
                node.execute("postgres", "ALTER SYSTEM RESET recovery_min_apply_delay");
                node.execute("postgres", "SELECT pg_reload_conf()");
            }
            awaitStreaming(primary, node, Duration.ofSeconds(5));
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void rebuildStandby(PgNode node, PgNode primary) {
        if (node.isRunning()) {
            node.stop(StopMode.IMMEDIATE);
        }
        Path backup = primary.backup("rebuild");
        java.net.InetSocketAddress upstream = route.to(primary);
        node.initFromBackup(primary, backup, upstream.getHostString(), upstream.getPort()).start();
        awaitStreaming(primary, node, deadlines.operation());
    }

    private void awaitStreaming(PgNode primary, PgNode standby, Duration within) {
        await(standby.name() + " streams from " + primary.name())
                .atMost(within)
                .pollInterval(deadlines.poll())
                .ignoreExceptions()
                .until(() -> "1".equals(primary.query("postgres", "SELECT count(*) FROM pg_stat_replication WHERE "
                        + "application_name = '" + standby.name() + "' AND state = 'streaming'")));
    }

    private List<PgNode> writable() {
        List<PgNode> out = new ArrayList<>();
        for (PgNode n : nodes) {
            try {
                if (n.isRunning() && !n.isInRecovery()) {
                    out.add(n);
                }
            } catch (RuntimeException e) {
                // starting up or shutting down: not writable now
            }
        }
        return out;
    }

    private void startQuietly(PgNode node) {
        try {
            node.start();
        } catch (LabException e) {
            // ensureHealthy rebuilds it
        }
    }

    private String states() {
        StringBuilder sb = new StringBuilder();
        for (PgNode n : nodes) {
            sb.append(n).append(n.isRunning() ? " running" : " stopped").append("; ");
        }
        return sb.toString();
    }

    @Override
    public void close() {
        for (PgNode n : nodes) {
            try {
                n.teardown();
            } catch (RuntimeException e) {
                System.err.println("pg-resilience: could not tear down " + n + ": " + e.getMessage());
            }
        }
    }

    private static String secret() {
        String alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        SecureRandom random = new SecureRandom();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    /** Package-visible for secrets elsewhere in the lab. */
    public static String newSecret() {
        return secret();
    }
}
