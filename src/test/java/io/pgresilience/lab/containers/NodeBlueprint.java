package io.pgresilience.lab.containers;

import io.pgresilience.lab.Deadlines;
import java.time.Duration;
import org.testcontainers.containers.Network;
import org.testcontainers.utility.DockerImageName;

/**
 * What every PostgreSQL container of the lab shares: image, network, labels, superuser password, deadlines, and how
 * long an immediate stop may take before the container is killed.
 */
record NodeBlueprint(DockerImageName image, Network network, RunLabels labels, String superuserPassword,
                     ContainerEngine engine, String hostAlias, Deadlines deadlines, Duration immediateStopGrace) {
}
