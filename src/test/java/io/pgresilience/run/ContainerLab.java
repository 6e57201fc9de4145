package io.pgresilience.run;

import io.pgresilience.targets.containers.ReferenceGatewayContainer;
import io.pgresilience.lab.containers.ContainerEngine;
import io.pgresilience.lab.containers.ContainerCluster;
import io.pgresilience.lab.containers.RunLabels;
import io.pgresilience.lab.containers.ContainerLeftovers;

import io.pgresilience.config.Settings;
import io.pgresilience.faults.LabNetwork;
import io.pgresilience.faults.ProxyMaker;
import io.pgresilience.faults.ToxiproxyContainerServer;
import io.pgresilience.support.Ports;
import java.util.LinkedHashMap;
import org.testcontainers.containers.Network;
import io.pgresilience.lab.Deadlines;
import io.pgresilience.run.Lab;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.support.LabException;
import io.pgresilience.targets.GatewayTarget;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The Testcontainers-managed lab (-Dlab=containers): PostgreSQL primary and standby in containers, fault proxies in
 * front of them — the suite's own in this JVM (reached from containers at host.containers.internal), or with
 * -Dfaults=toxiproxy a Toxiproxy container on the lab's network — and the reference gateway in a container of its
 * own. Behind the same interfaces as the embedded lab.
 */
public final class ContainerLab {

    private static final Path LOGS = Path.of("reports", "logs");

    private ContainerLab() {
    }

    public static Lab start(Settings settings, LabDirectory directory, Deadlines deadlines) {
        quietTestcontainers();
        ContainerEngine engine = ContainerEngine.connect(settings, directory, LOGS, deadlines);
        LabNetwork network = null;
        ContainerCluster cluster = null;
        RunLabels labels = RunLabels.of(directory);
        Network containerNetwork = ContainerCluster.network(labels);
        try {
            List<String> cleaned = new ContainerLeftovers(engine.client()).ofDeadRuns();
            if (!cleaned.isEmpty()) {
                System.err.println("pg-resilience: cleaned up after an earlier run: " + String.join("; ", cleaned));
            }
            String image = settings.text("lab.postgres-image");
            engine.requireImage(image, "lab.postgres-image", deadlines.operation());
            String hostAlias = settings.text("lab.host-alias");
            Map<String, Integer> hostPorts = new LinkedHashMap<>();
            ContainerCluster.NODES.forEach(n -> hostPorts.put(n, Ports.free()));
            network = LabNetwork.forContainers(hostAlias, proxyMaker(settings, engine, containerNetwork, labels, hostPorts, deadlines));
            cluster = ContainerCluster.start(engine, image, hostAlias, labels, containerNetwork, hostPorts, deadlines,
                    settings.millis("lab.immediate-stop-grace-ms"), network.replicationRoute());
            network.inFrontOf(cluster);
            return new Lab("containers", cluster, network, true);
        } catch (RuntimeException e) {
            if (network != null) {
                network.close();
            }
            if (cluster != null) {
                cluster.close();
            } else {
                try {
                    new ContainerLeftovers(engine.client()).ofRun(labels);
                } finally {
                    engine.close();
                }
            }
            throw e;
        }
    }

    /**
     * In-JVM proxies as in the embedded lab; with -Dfaults=toxiproxy, Toxiproxy in a container of the lab (its upstreams
     * the nodes by their names on the lab's network).
     */
    private static ProxyMaker proxyMaker(Settings settings, ContainerEngine engine, Network network, RunLabels labels,
                                         Map<String, Integer> hostPorts, Deadlines deadlines) {
        if (!settings.text("faults").equals("toxiproxy")) {
            return Labs.proxyMaker(settings, null, deadlines);
        }
        String image = settings.text("lab.toxiproxy-image");
        engine.requireImage(image, "lab.toxiproxy-image", deadlines.operation());
        Map<Integer, String> upstreams = new LinkedHashMap<>();
        hostPorts.forEach((node, port) -> upstreams.put(port, ContainerCluster.addressInLab(node)));
        return ToxiproxyContainerServer.start(image, network, labels.map(), labels.name("toxiproxy"), upstreams,
                deadlines.operation());
    }

    /** The reference gateway, run as a container that reaches the lab's proxies. */
    public static GatewayTarget referenceGateway(Settings settings, Lab lab, LabDirectory directory, Path logsDir) {
        if (!(lab.cluster() instanceof ContainerCluster cluster)) {
            throw new LabException("the reference gateway runs in a container only with lab=containers");
        }
        return new ReferenceGatewayContainer(settings, cluster, lab.network(), logsDir);
    }

    /**
     * Testcontainers talks a lot at INFO, and warns that Ryuk is off, which the lab makes up for itself (run labels,
     * teardown sweep); the lab reports what matters. A -D setting still wins.
     */
    private static void quietTestcontainers() {
        Map<String, String> levels = Map.of("org.testcontainers", "warn", "tc", "warn", "com.github.dockerjava", "warn",
                "org.testcontainers.utility.ResourceReaper", "error");
        levels.forEach((logger, level) -> {
            String key = "org.slf4j.simpleLogger.log." + logger;
            if (System.getProperty(key) == null) {
                System.setProperty(key, level);
            }
        });
    }
}
