package io.pgresilience.lab;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
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
        InetSocketAddress upstream = route.to(primary);
        standby.initFromBackup(primary, backup, upstream.getHostString(), upstream.getPort()).start();
        awaitStreaming(primary, standby, deadlines.operation());
        primary.waitForCatchup(standby);
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
