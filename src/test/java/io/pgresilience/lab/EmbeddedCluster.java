package io.pgresilience.lab;

import io.pgresilience.support.OsUser;
import io.pgresilience.support.Ports;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.Map;

/**
 * The embedded lab: two PostgreSQL servers from the machine's binaries, on free loopback ports, a primary and a
 * streaming standby, data under the run directory. Roles and repair come from {@link ReplicatedCluster}.
 */
public final class EmbeddedCluster extends ReplicatedCluster<PgNode> {

    public static final String DATABASE = "mcpgateway";
    public static final String GATEWAY_ROLE = "gateway";

    private final String gatewayPassword;
    private final String superuserPassword;
    private final String version;

    private EmbeddedCluster(List<PgNode> nodes, String gatewayPassword, String version, Deadlines deadlines,
                            ReplicationRoute route, String superuserPassword) {
        super(nodes, route, deadlines);
        this.gatewayPassword = gatewayPassword;
        this.superuserPassword = superuserPassword;
        this.version = version;
    }

    /** What the template holds beyond initdb: the gateway's role (its password is set per lab) and database, amcheck. */
    private static final List<ClusterTemplate.Step> SETUP = List.of(
            new ClusterTemplate.Step("postgres", "CREATE ROLE " + GATEWAY_ROLE + " LOGIN"),
            new ClusterTemplate.Step("postgres", "CREATE DATABASE " + DATABASE + " OWNER " + GATEWAY_ROLE),
            // amcheck (contrib) lets a failover scenario prove that no index or heap page is corrupt.
            new ClusterTemplate.Step(DATABASE, "CREATE EXTENSION IF NOT EXISTS amcheck"));

    /**
     * A primary copied from the template cluster, with this run's passwords, and a standby copied from the primary
     * before either starts (a cold backup: both begin at the same checkpoint, the standby streams from there).
     */
    /** The port of a node that has an address of its own. */
    static final int PLACED_PORT = 5432;

    public static EmbeddedCluster start(LabDirectory dir, PgBinaries bin, OsUser user, Deadlines deadlines,
                                        ReplicationRoute route) {
        return start(dir, bin, user, deadlines, route, name -> null);
    }

    /** @param places where each node lives (by name), or null for this host's loopback */
    public static EmbeddedCluster start(LabDirectory dir, PgBinaries bin, OsUser user, Deadlines deadlines,
                                        ReplicationRoute route, java.util.function.Function<String, NetworkPlace> places) {
        String superPassword = secret();
        List<PgNode> nodes = new ArrayList<>();
        for (String name : List.of("node1", "node2")) {
            NetworkPlace place = places.apply(name);
            // A placed node has an address of its own: PostgreSQL's port, the same on every node (a VIP can move).
            int port = place == null ? Ports.free() : PLACED_PORT;
            nodes.add(new PgNode(name, dir.nodes().resolve(name), port, bin, user, superPassword, deadlines).placeIn(place));
        }
        EmbeddedCluster cluster = new EmbeddedCluster(nodes, secret(), bin.version(), deadlines, route, superPassword);
        try {
            cluster.create(ClusterTemplate.ensure(dir.path().getParent(), bin, user, deadlines, SETUP));
        } catch (RuntimeException | Error e) {
            cluster.close(); // a node that started before the failure stops with it
            throw e;
        }
        return cluster;
    }

    private void create(Path template) {
        PgNode primary = nodes.get(0);
        PgNode standby = nodes.get(1);
        InetSocketAddress upstream = route.to(primary);
        // Both copies at once; the standby replays from the template's checkpoint whatever the primary writes after it.
        CompletableFuture<PgNode> standbyCopy = CompletableFuture.supplyAsync(
                () -> standby.initFromBackup(template, upstream.getHostString(), upstream.getPort()));
        primary.initFromTemplate(template);
        // Random letters and digits: safe inside a literal, and never logged.
        primary.setPasswordsOffline(Map.of(PgNode.SUPERUSER, superuserPassword, GATEWAY_ROLE, gatewayPassword));
        primary.start();
        join(standbyCopy).start();
        awaitStreaming(primary, standby, deadlines.operation());
        primary.waitForCatchup(standby);
    }

    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
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
    public Map<String, String> secrets() {
        return Map.of("database password of the gateway role", gatewayPassword,
                "database superuser password", superuserPassword);
    }

    @Override
    public String postgresVersion() {
        return version;
    }

    @Override
    public String topology() {
        return roles();
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

    /** A random secret of letters and digits, for passwords the lab and the targets generate per run. */
    public static String newSecret() {
        return secret();
    }
}
