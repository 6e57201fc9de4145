package io.pgresilience.lab.ha;

import io.pgresilience.lab.Deadlines;
import io.pgresilience.lab.DbNode;
import io.pgresilience.lab.EmbeddedCluster;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.lab.NetworkPlace;
import io.pgresilience.lab.PgBinaries;
import io.pgresilience.lab.ReplicatedCluster;
import io.pgresilience.lab.ReplicationRoute;
import io.pgresilience.support.Command;
import io.pgresilience.support.LabException;
import io.pgresilience.support.OsUser;
import io.pgresilience.support.Ports;
import io.pgresilience.support.Wait;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.stream.Collectors;

/**
 * Two PostgreSQL 15 servers, each managed by its own Patroni, with a one-member etcd as the DCS: the HA manager decides
 * who leads, fails over after a crash, and switches over on request (its REST API). Each node's {@code connect_address}
 * is a fault proxy in front of it, so the standby streams from the leader through a link the suite can break. Roles
 * are read from the servers ({@link ReplicatedCluster}); repair asks Patroni (resume, reinitialize, switchover).
 */
public final class PatroniCluster extends ReplicatedCluster<PatroniNode> {

    private final Etcd etcd;
    private final String gatewayPassword;
    private final String superuserPassword;
    private final String replicationPassword;
    private final String version;
    private final String patroniVersion;
    private final Map<String, String> settings;
    private final java.time.Duration settle;

    private PatroniCluster(List<PatroniNode> nodes, Etcd etcd, String gatewayPassword, String superuserPassword,
                           String replicationPassword, String version, String patroniVersion, Map<String, String> settings,
                           Deadlines deadlines, java.time.Duration settle) {
        super(nodes, ReplicationRoute.DIRECT, deadlines);
        this.settle = settle;
        this.etcd = etcd;
        this.gatewayPassword = gatewayPassword;
        this.superuserPassword = superuserPassword;
        this.replicationPassword = replicationPassword;
        this.version = version;
        this.patroniVersion = patroniVersion;
        this.settings = settings;
    }

    public static Path locate() {
        return LabProcess.locate("patroni", "patroni", "patroni");
    }

    /** Every program the topology needs, before anything starts: one line naming the missing package. */
    public static void requirePrograms() {
        locate();
        Etcd.locate();
    }

    /**
     * Starts etcd and two Patroni nodes; node1 bootstraps (initdb), node2 is built from it by Patroni; then the gateway's
     * role and database.
     *
     * @param patroniSettings the dynamic configuration (ttl, loop_wait, retry_timeout, primary_start_timeout, …)
     * @param replicationEntry for a node's name and port, where the others reach it (a fault proxy in front of it)
     */
    public static PatroniCluster start(LabDirectory dir, PgBinaries bin, OsUser user, Deadlines deadlines,
                                       Map<String, String> patroniSettings, java.time.Duration settle,
                                       BiFunction<String, Integer, InetSocketAddress> replicationEntry) {
        return start(dir, bin, user, deadlines, patroniSettings, settle, replicationEntry, name -> null);
    }

    /**
     * @param placeOf where each part lives (etcd, node1, node2): a host of its own (kernel faults), or null for this
     *                host's loopback
     */
    public static PatroniCluster start(LabDirectory dir, PgBinaries bin, OsUser user, Deadlines deadlines,
                                       Map<String, String> patroniSettings, java.time.Duration settle,
                                       BiFunction<String, Integer, InetSocketAddress> replicationEntry,
                                       java.util.function.Function<String, NetworkPlace> placeOf) {
        String patroniVersion = Command.of(locate().toString(), "--version").run().output().strip();
        Etcd etcd = Etcd.start(dir, user, deadlines, placeOf.apply("etcd"));
        List<PatroniNode> nodes = new ArrayList<>();
        String superPassword = EmbeddedCluster.newSecret();
        String replPassword = EmbeddedCluster.newSecret();
        PatroniCluster cluster = null;
        try {
            for (String name : List.of("node1", "node2")) {
                NetworkPlace place = placeOf.apply(name);
                int port = place == null ? Ports.free() : 5432;
                int rest = place == null ? Ports.free() : 8008;
                nodes.add(new PatroniNode(name, port, rest, dir.nodes().resolve(name), bin, user, superPassword, deadlines, dir, place));
            }
            cluster = new PatroniCluster(nodes, etcd, EmbeddedCluster.newSecret(), superPassword, replPassword, bin.version(),
                    patroniVersion, patroniSettings, deadlines, settle);
            String scope = "pgr-" + dir.path().getFileName();
            for (PatroniNode n : nodes) {
                n.configure(cluster.yaml(scope, n, replicationEntry.apply(n.name(), n.port()), etcd.clientAddress(),
                        Path.of(bin.path("pg_ctl")).getParent()));
            }
            nodes.get(0).launch();
            nodes.get(0).promote();
            nodes.get(1).launch();
            cluster.createGatewayDatabase(nodes.get(0));
            cluster.awaitStreaming(nodes.get(0), nodes.get(1), deadlines.operation());
            nodes.get(0).waitForCatchup(nodes.get(1));
            return cluster;
        } catch (RuntimeException | AssertionError e) {
            String tails = nodes.stream().map(n -> n.name() + ": " + n.tail(2)).collect(Collectors.joining("; "));
            if (cluster != null) {
                cluster.close();
            } else {
                nodes.forEach(PatroniNode::teardown);
                etcd.close();
            }
            throw new LabException("the Patroni cluster did not come up: " + e.getMessage() + " [" + tails + "]", e);
        }
    }

    private void createGatewayDatabase(PatroniNode leader) {
        String role = EmbeddedCluster.GATEWAY_ROLE;
        leader.execute("postgres", "CREATE ROLE " + role + " LOGIN PASSWORD '" + gatewayPassword + "'");
        leader.execute("postgres", "CREATE DATABASE " + EmbeddedCluster.DATABASE + " OWNER " + role);
        leader.execute(EmbeddedCluster.DATABASE, "CREATE EXTENSION IF NOT EXISTS amcheck");
    }

    private String yaml(String scope, PatroniNode node, InetSocketAddress connectAddress, String etcdAddress, Path binDir) {
        StringBuilder dcs = new StringBuilder();
        settings.forEach((k, v) -> dcs.append("    ").append(k).append(": ").append(v).append('\n'));
        return """
                scope: %s
                name: %s
                log:
                  level: INFO
                restapi:
                  listen: %s:%d
                  connect_address: %s:%d
                etcd3:
                  hosts: %s
                bootstrap:
                  dcs:
                %s    postgresql:
                      use_pg_rewind: true
                      use_slots: true
                      parameters:
                        wal_level: replica
                        hot_standby: "on"
                        wal_log_hints: "on"
                        max_wal_senders: 10
                        max_replication_slots: 10
                        wal_keep_size: 256MB
                  initdb:
                    - encoding: UTF8
                    - locale: C
                    - auth: scram-sha-256
                    - wal-segsize: "1"
                    - no-sync
                postgresql:
                  listen: %s:%d
                  connect_address: %s:%d
                  data_dir: %s
                  bin_dir: %s
                  pgpass: %s
                  remove_data_directory_on_rewind_failure: true
                  remove_data_directory_on_diverged_timelines: true
                  basebackup:
                    - checkpoint: fast
                  authentication:
                    superuser:
                      username: %s
                      password: "%s"
                    replication:
                      username: replicator
                      password: "%s"
                    rewind:
                      username: %s
                      password: "%s"
                  parameters:
                    unix_socket_directories: ''
                    fsync: "off"
                    shared_buffers: 32MB
                    wal_receiver_status_interval: 1s
                    wal_retrieve_retry_interval: 500ms
                    deadlock_timeout: 200ms
                    log_lock_waits: "on"
                    log_line_prefix: '%%m [%%p] %%q%%u@%%d '
                  pg_hba:
                    - host all all 127.0.0.1/32 scram-sha-256
                    - host replication all 127.0.0.1/32 scram-sha-256
                %s""".formatted(scope, node.name(), node.host(), node.restPort(), node.host(), node.restPort(), etcdAddress, dcs,
                node.place() == null ? "127.0.0.1" : "127.0.0.1," + node.host(), node.port(),
                connectAddress.getHostString(), connectAddress.getPort(), node.data(), binDir,
                node.data().getParent().resolve("pgpass"), PatroniNode.SUPERUSER, superuserPassword, replicationPassword,
                PatroniNode.SUPERUSER, superuserPassword, node.place() == null ? "" : """
                    - host all all %1$s scram-sha-256
                    - host replication all %1$s scram-sha-256
                """.formatted(node.place().network()));
    }

    /** Patroni runs on every node and is not paused: whatever a scenario did, the HA manager is back in charge. */
    @Override
    protected void beforeRepair() {
        nodes.forEach(PatroniNode::ensureManaged);
        PatroniNode any = nodes.get(0);
        boolean paused = Wait.until("Patroni answers on " + any.name(), deadlines.operation(), deadlines.poll(),
                () -> any.api().get("/config").path("pause").asBoolean(false), p -> true);
        if (paused) {
            // A maintenance stop that a failed scenario did not undo: the server is started as the scenario would have.
            nodes.stream().filter(n -> !n.isRunning()).forEach(PatroniNode::start);
            any.api().patchConfig("{\"pause\": false}");
        }
        // The HA manager needs a leader before anything is judged: it elects one within its ttl.
        Wait.until("Patroni has a leader whose server accepts writes", deadlines.operation(), deadlines.poll(),
                () -> nodes.stream().anyMatch(n -> n.api().status("/primary") == 200), Boolean.TRUE::equals);
        // Patroni repairs a crashed old primary itself (pg_rewind, or a new base backup): the suite does not step in
        // while it does. Only a node it leaves broken beyond this settles time is rebuilt (POST /reinitialize).
        String last = Wait.until("Patroni has every node running, its replicas following the leader", settle, deadlines.poll(),
                this::unsettled, String::isEmpty, false);
        if (!last.isEmpty()) {
            System.err.println("pg-resilience: Patroni did not settle within " + settle.toMillis() + " ms (" + last
                    + "); the lab rebuilds what is broken");
        }
    }

    /** What is not settled yet, as Patroni's /cluster says; empty once every member runs and every replica has a lag. */
    private String unsettled() {
        com.fasterxml.jackson.databind.JsonNode cluster = nodes.get(0).api().get("/cluster");
        StringBuilder out = new StringBuilder();
        int leaders = 0;
        for (com.fasterxml.jackson.databind.JsonNode m : cluster.path("members")) {
            String role = m.path("role").asText();
            String state = m.path("state").asText();
            if (role.equals("leader")) {
                leaders++;
            }
            boolean settled = state.equals("running") && (role.equals("leader") || m.path("lag").isNumber());
            if (!settled) {
                out.append(m.path("name").asText()).append(' ').append(role).append(' ').append(state).append(" lag ")
                        .append(m.path("lag").asText()).append("; ");
            }
        }
        if (cluster.path("members").size() < nodes.size() || leaders != 1) {
            out.append(cluster.path("members").size()).append(" members, ").append(leaders).append(" leaders");
        }
        return out.toString();
    }

    /** Patroni's synchronous_mode (its /config), which also decides which standby may be promoted. */
    @Override
    protected void applySynchronous(DbNode primary, boolean on) {
        boolean now = nodes.get(0).api().get("/config").path("synchronous_mode").asBoolean(false);
        if (now != on) {
            nodes.get(0).api().patchConfig("{\"synchronous_mode\": " + on + "}");
        }
        if (!on) {
            primary.pollQueryUntil("postgres", "SELECT current_setting('synchronous_standby_names')", "");
        }
    }

    /** A planned switchover by Patroni (POST /switchover): the leader steps down, the candidate is promoted. */
    @Override
    public void switchoverTo(DbNode target, Runnable whenPromoted) {
        DbNode primary = primary();
        if (target == primary) {
            return;
        }
        PatroniNode leader = (PatroniNode) primary;
        leader.api().post("/switchover", "{\"leader\": \"" + primary.name() + "\", \"candidate\": \"" + target.name() + "\"}");
        target.promote();
        whenPromoted.run();
        awaitStreaming(target, primary, deadlines.operation());
        target.waitForCatchup(primary);
    }

    @Override
    public Optional<String> whyNoFailoverAfterReplicationBreaks() {
        if (!synchronous()) {
            return Optional.empty();
        }
        return Optional.of("Patroni's synchronous_mode takes a standby it cannot reach off the list of nodes it may promote "
                + "(its /sync key), so a primary that crashes after the replication link broke is not failed over: by design, "
                + "to lose no acknowledged write; nothing for the gateway to recover to");
    }

    @Override
    public Optional<String> whyNoSplitBrain() {
        return Optional.of("Patroni keeps one leader: it promotes no standby while the old primary holds the leader lock in "
                + "etcd, and a primary that loses etcd demotes itself (Patroni's own fencing), so the two writable nodes this "
                + "case needs cannot arise; \"FO-03 An isolated primary is fenced by the HA manager\" judges that promise "
                + "(-Dfaults=kernel)");
    }

    @Override
    public Optional<String> haManager() {
        return Optional.of(patroniVersion + " (leader lock in " + etcd.version() + ", " + settings.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")) + ")");
    }

    private volatile boolean hangs;

    @Override
    public void haManagerHangsWhenCutOff() {
        hangs = true;
    }

    @Override
    public boolean haManagerHangs() {
        return hangs;
    }

    @Override
    public void setHaManagerFrozen(DbNode node, boolean frozen) {
        nodes.stream().filter(n -> n == node).findFirst().orElseThrow().setPatroniFrozen(frozen);
    }

    /** The Patroni REST port of a node of this cluster (HAProxy's health check). */
    public int restPortOf(DbNode node) {
        return nodes.stream().filter(n -> n == node).findFirst().orElseThrow().restPort();
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
        return Map.of("database password of the gateway role", gatewayPassword, "database superuser password", superuserPassword,
                "replication password", replicationPassword);
    }

    @Override
    public String postgresVersion() {
        return version;
    }

    @Override
    public String topology() {
        return roles() + "; managed by " + patroniVersion + " with " + etcd.version() + " ("
                + settings.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")) + ")";
    }

    @Override
    public void close() {
        for (PatroniNode n : nodes) {
            try {
                n.teardown();
            } catch (RuntimeException e) {
                System.err.println("pg-resilience: could not tear down " + n + ": " + e.getMessage());
            }
        }
        etcd.close();
        // A Patroni that lost etcd while it was being stopped may have started its server (an offline demotion) just
        // before it exited, after its process tree was read: nothing can start one any more, so one last look.
        for (PatroniNode n : nodes) {
            try {
                n.stopOrphanedServers();
            } catch (RuntimeException | AssertionError e) {
                System.err.println("pg-resilience: could not stop a lost server of " + n + ": " + e.getMessage());
            }
        }
    }
}
