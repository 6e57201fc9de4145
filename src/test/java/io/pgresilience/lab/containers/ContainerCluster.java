package io.pgresilience.lab.containers;


import io.pgresilience.lab.Deadlines;
import io.pgresilience.lab.EmbeddedCluster;
import io.pgresilience.lab.ReplicatedCluster;
import io.pgresilience.lab.ReplicationRoute;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.testcontainers.containers.Network;
import org.testcontainers.utility.DockerImageName;

/**
 * The container lab's database: node1 primary and node2 streaming standby, each in its own container on one
 * Testcontainers network; the standby streams through the replication fault proxy. Roles are read from the
 * servers, never assumed, and {@link #ensureHealthy()} repairs exactly as the embedded lab does.
 */
public final class ContainerCluster extends ReplicatedCluster<ContainerNode> {

    private final ContainerEngine engine;
    private final Network network;
    private final RunLabels labels;
    private final String image;
    private final String hostAlias;
    private final String superuserPassword;
    private final String gatewayPassword = EmbeddedCluster.newSecret();
    private String version = "?";

    private ContainerCluster(List<ContainerNode> nodes, ReplicationRoute route, ContainerEngine engine, Network network,
                             RunLabels labels, String image, String hostAlias, String superuserPassword,
                             Deadlines deadlines) {
        super(nodes, route, deadlines);
        this.engine = engine;
        this.network = network;
        this.labels = labels;
        this.image = image;
        this.hostAlias = hostAlias;
        this.superuserPassword = superuserPassword;
    }

    /** The nodes' names, which are also their names on the lab's network. */
    public static final List<String> NODES = List.of("node1", "node2");

    /** The lab's network (created when first used), labelled as this run's. */
    public static Network network(RunLabels labels) {
        return Network.builder()
                .createNetworkCmdModifier(cmd -> cmd.withName(labels.name("net")).withLabels(labels.map()))
                .build();
    }

    /** Where a node is reached on the lab's network, by its name. */
    public static String addressInLab(String node) {
        return node + ":" + ContainerNode.POSTGRES_PORT;
    }

    /**
     * Starts the primary (initdb by the image), creates the gateway's role and database, and a standby from a base
     * backup, on the network, each node published on this host at its port. Owns the engine and the network from here
     * on: closing the cluster (also after a failed start) removes them.
     */
    public static ContainerCluster start(ContainerEngine engine, String image, String hostAlias, RunLabels labels,
                                  Network network, Map<String, Integer> hostPorts, Deadlines deadlines,
                                  Duration immediateStopGrace, ReplicationRoute route) {
        String superuserPassword = EmbeddedCluster.newSecret();
        NodeBlueprint blueprint = new NodeBlueprint(DockerImageName.parse(image).asCompatibleSubstituteFor("postgres"),
                network, labels, superuserPassword, engine, hostAlias, deadlines, immediateStopGrace);
        List<ContainerNode> nodes = new ArrayList<>();
        for (String name : NODES) {
            nodes.add(new ContainerNode(name, hostPorts.get(name), blueprint));
        }
        ContainerCluster cluster = new ContainerCluster(nodes, route, engine, network, labels, image, hostAlias,
                superuserPassword, deadlines);
        try {
            cluster.create();
        } catch (RuntimeException | Error e) {
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
        rebuild(standby, primary);
        primary.waitForCatchup(standby);
    }

    public ContainerEngine engine() {
        return engine;
    }

    public Network network() {
        return network;
    }

    public RunLabels labels() {
        return labels;
    }

    public String hostAlias() {
        return hostAlias;
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

    @Override
    public String postgresVersion() {
        return version;
    }

    @Override
    public String topology() {
        return roles() + "; in containers on " + engine.describe();
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
