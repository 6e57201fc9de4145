package io.pgresilience.lab.containers;

import io.pgresilience.lab.Deadlines;
import org.testcontainers.containers.Network;
import org.testcontainers.utility.DockerImageName;

/** What every PostgreSQL container of the lab shares: image, network, labels, superuser password, deadlines. */
record NodeBlueprint(DockerImageName image, Network network, RunLabels labels, String superuserPassword,
                     ContainerEngine engine, String hostAlias, Deadlines deadlines) {
}
