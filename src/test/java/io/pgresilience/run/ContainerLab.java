package io.pgresilience.run;

import io.pgresilience.target.containers.ReferenceGatewayContainer;
import io.pgresilience.lab.containers.ContainerEngine;
import io.pgresilience.lab.containers.ContainerCluster;
import io.pgresilience.lab.containers.RunLabels;
import io.pgresilience.lab.containers.ContainerLeftovers;

import io.pgresilience.config.Settings;
import io.pgresilience.faults.LabNetwork;
import io.pgresilience.lab.Deadlines;
import io.pgresilience.run.Lab;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.support.LabException;
import io.pgresilience.target.GatewayTarget;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The Testcontainers-managed lab (-Dlab=containers): PostgreSQL primary and standby in containers, the suite's
 * fault proxies in this JVM in front of them (reached from containers at host.containers.internal), and the
 * reference gateway in a container of its own. Behind the same interfaces as the embedded lab.
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
        try {
            List<String> cleaned = new ContainerLeftovers(engine.client()).ofDeadRuns();
            if (!cleaned.isEmpty()) {
                System.err.println("pg-resilience: cleaned up after an earlier run: " + String.join("; ", cleaned));
            }
            String image = settings.text("lab.postgres-image");
            engine.requireImage(image, "lab.postgres-image", deadlines.operation());
            String hostAlias = settings.text("lab.host-alias");
            network = LabNetwork.forContainers(hostAlias, Labs.proxyMaker(settings, directory, deadlines));
            cluster = ContainerCluster.start(engine, image, hostAlias, RunLabels.of(directory), deadlines,
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
                engine.close();
            }
            throw e;
        }
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
