package io.pgresilience.lab.containers;

import static org.awaitility.Awaitility.await;

import io.pgresilience.lab.DbCluster;
import io.pgresilience.lab.DbNode;
import io.pgresilience.lab.Deadlines;
import io.pgresilience.lab.EmbeddedCluster;
import io.pgresilience.lab.EmbeddedCluster.ReplicationRoute;
import io.pgresilience.lab.LabException;
import io.pgresilience.lab.Ports;
import io.pgresilience.lab.StopMode;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.testcontainers.containers.Network;
import org.testcontainers.utility.DockerImageName;

/**
 * The container lab's database: node1 primary and node2 streaming standby, each in its own container on one
 * Testcontainers network; the standby streams through the replication fault proxy. Roles are read from the
 * servers, never assumed, and {@link #ensureHealthy()} repairs exactly as the embedded lab does.
 */
final class ContainerCluster implements DbCluster {

    private final List<ContainerNode> nodes;
    private final ReplicationRoute route;
    private final ContainerEngine engine;
    private final Network network;
    private final RunLabels labels;
    private final String image;
    private final String hostAlias;
    private final String superuserPassword;
    private final String gatewayPassword = EmbeddedCluster.newSecret();
    private final Deadlines deadlines;
    private String version = "?";
    private boolean synchronous;

    private ContainerCluster(List<ContainerNode> nodes, ReplicationRoute route, ContainerEngine engine, Network network,
                             RunLabels labels, String image, String hostAlias, String superuserPassword,
                             Deadlines deadlines) {
        this.nodes = nodes;
        this.route = route;
        this.engine = engine;
        this.network = network;
        this.labels = labels;
        this.image = image;
        this.hostAlias = hostAlias;
        this.superuserPassword = superuserPassword;
        this.deadlines = deadlines;
    }

    /**
     * Starts the primary (initdb by the image), creates the gateway's role and database, and a standby from a base
     * backup. Owns the engine from here on: closing the cluster (also after a failed start) stops it.
     */
    static ContainerCluster start(ContainerEngine engine, String image, String hostAlias, RunLabels labels,
                                  Deadlines deadlines, Duration immediateStopGrace, ReplicationRoute route) {
        Network network = Network.builder()
                .createNetworkCmdModifier(cmd -> cmd.withName(labels.name("net")).withLabels(labels.map()))
                .build();
        String superuserPassword = EmbeddedCluster.newSecret();
        NodeBlueprint blueprint = new NodeBlueprint(DockerImageName.parse(image).asCompatibleSubstituteFor("postgres"),
                network, labels, superuserPassword, engine, hostAlias, deadlines, immediateStopGrace);
        List<ContainerNode> nodes = new ArrayList<>();
        for (String name : List.of("node1", "node2")) {
            nodes.add(new ContainerNode(name, Ports.free(), blueprint));
        }
        ContainerCluster cluster = new ContainerCluster(nodes, route, engine, network, labels, image, hostAlias,
                superuserPassword, deadlines);
        try {
            cluster.create();
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    private void create() {
        ContainerNode primary = nodes.get(0);
        ContainerNode standby = nodes.get(1);
        primary.createPrimary();
        // The password is random letters and digits: safe inside a literal, and never logged.
        primary.execute("postgres", "CREATE ROLE " + EmbeddedCluster.GATEWAY_ROLE + " LOGIN PASSWORD '" + gatewayPassword + "'");
        primary.execute("postgres", "CREATE DATABASE " + EmbeddedCluster.DATABASE + " OWNER " + EmbeddedCluster.GATEWAY_ROLE);
        // amcheck (contrib) lets a failover scenario prove that no index or heap page is corrupt.
        primary.execute(EmbeddedCluster.DATABASE, "CREATE EXTENSION IF NOT EXISTS amcheck");
        version = "PostgreSQL " + primary.query("postgres", "SHOW server_version") + " (image " + image + ")";
        standby.rebuildAsStandbyOf(primary, route.to(primary));
        awaitStreaming(primary, standby, deadlines.operation());
        primary.waitForCatchup(standby);
    }

    ContainerEngine engine() {
        return engine;
    }

    Network network() {
        return network;
    }

    RunLabels labels() {
        return labels;
    }

    String hostAlias() {
        return hostAlias;
    }

    @Override
    public DbNode primary() {
        return writable().stream().max(Comparator.comparingInt(ContainerNode::timeline))
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
        return EmbeddedCluster.DATABASE;
    }

    @Override
    public String gatewayRole() {
        return EmbeddedCluster.GATEWAY_ROLE;
    }

    @Override
    public String gatewayPassword() {
        return gatewayPassword;
    }

    @Override
    public Map<String, String> secrets() {
        return Map.of("database password of the gateway role", gatewayPassword,
                "database superuser password", superuserPassword);
    }

    /** Nodes are rebuilt in place (same names, same ports): nothing that remembers them must start over. */
    @Override
    public long generation() {
        return 1;
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
        String where = "; in containers on " + engine.describe() + "; fault proxies: the suite's in-JVM proxy, reached from "
                + "containers at " + hostAlias + " (no Toxiproxy image is obtainable without a registry)";
        try {
            return "primary " + primary() + " + streaming standby " + standby() + " ("
                    + (synchronous ? "synchronous" : "asynchronous") + " replication)" + where;
        } catch (LabException e) {
            return states() + where;
        }
    }

    @Override
    public void ensureHealthy() {
        List<ContainerNode> writable = writable();
        if (writable.isEmpty()) {
            // A scenario stopped the primary and failed before starting it again: start what is down.
            nodes.stream().filter(n -> !n.isRunning()).forEach(this::startQuietly);
            writable = writable();
        }
        if (writable.isEmpty()) {
            Optional<ContainerNode> standby = nodes.stream().filter(ContainerNode::isRunning).findFirst();
            if (standby.isEmpty()) {
                throw new LabException("no node of the lab could be started: " + states());
            }
            standby.get().promote();
            writable = writable();
        }
        ContainerNode primary = writable.stream().max(Comparator.comparingInt(ContainerNode::timeline)).orElseThrow();
        setSynchronous(primary, false);
        for (ContainerNode node : nodes) {
            if (node != primary && !healthyStandbyOf(primary, node)) {
                node.rebuildAsStandbyOf(primary, route.to(primary));
                awaitStreaming(primary, node, deadlines.operation());
            }
        }
        ContainerNode standby = nodes.stream().filter(n -> n != primary).findFirst().orElseThrow();
        primary.waitForCatchup(standby);
        // Every scenario starts from the same lab: node1 primary, first in the gateway's multi-host URL.
        if (primary != nodes.get(0)) {
            switchoverTo(nodes.get(0));
        }
    }

    @Override
    public void switchoverTo(DbNode target) {
        ContainerNode node = (ContainerNode) target;
        ContainerNode primary = (ContainerNode) primary();
        if (node == primary) {
            return;
        }
        // A clean switchover: the old primary shuts down first, so the standby has every byte before promotion.
        primary.stop(StopMode.FAST);
        node.promote();
        node.pollQueryUntil("postgres", "SELECT pg_is_in_recovery()", "f");
        primary.rebuildAsStandbyOf(node, route.to(node));
        awaitStreaming(node, primary, deadlines.operation());
        node.waitForCatchup(primary);
    }

    @Override
    public void synchronousReplication(boolean on) {
        ContainerNode primary = (ContainerNode) primary();
        setSynchronous(primary, on);
        if (on) {
            primary.pollQueryUntil("postgres", "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'", "1");
        }
    }

    private void setSynchronous(ContainerNode primary, boolean on) {
        primary.execute("postgres", "ALTER SYSTEM SET synchronous_standby_names = '" + (on ? "*" : "") + "'");
        primary.execute("postgres", "SELECT pg_reload_conf()");
        synchronous = on;
    }

    /** Running, replaying (not paused, no apply delay) and streaming from this primary. */
    private boolean healthyStandbyOf(ContainerNode primary, ContainerNode node) {
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

    private void awaitStreaming(ContainerNode primary, ContainerNode standby, Duration within) {
        await(standby.name() + " streams from " + primary.name())
                .atMost(within)
                .pollInterval(deadlines.poll())
                .ignoreExceptions()
                .until(() -> "1".equals(primary.query("postgres", "SELECT count(*) FROM pg_stat_replication WHERE "
                        + "application_name = '" + standby.name() + "' AND state = 'streaming'")));
    }

    private List<ContainerNode> writable() {
        List<ContainerNode> out = new ArrayList<>();
        for (ContainerNode n : nodes) {
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

    private void startQuietly(ContainerNode node) {
        try {
            node.start();
        } catch (LabException e) {
            // ensureHealthy rebuilds it
        }
    }

    private String states() {
        StringBuilder sb = new StringBuilder();
        for (ContainerNode n : nodes) {
            sb.append(n).append(n.isRunning() ? " running" : " stopped").append("; ");
        }
        return sb.toString();
    }

    /** Removes every container and the network of this run, whatever is left of them, then stops the engine. */
    @Override
    public void close() {
        try {
            for (ContainerNode n : nodes) {
                try {
                    n.remove();
                } catch (RuntimeException e) {
                    System.err.println("pg-resilience: could not remove the container of " + n.name() + ": " + e.getMessage());
                }
            }
            try {
                network.close();
            } catch (RuntimeException e) {
                System.err.println("pg-resilience: could not remove the lab's network: " + e.getMessage());
            }
            List<String> swept = new ContainerLeftovers(engine.client()).ofRun(labels);
            if (!swept.isEmpty()) {
                System.err.println("pg-resilience: removed at teardown: " + String.join("; ", swept));
            }
        } finally {
            engine.close();
        }
    }
}
