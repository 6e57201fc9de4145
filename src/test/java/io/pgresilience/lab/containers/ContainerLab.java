package io.pgresilience.lab.containers;

import io.pgresilience.config.Settings;
import io.pgresilience.lab.Deadlines;
import io.pgresilience.lab.Lab;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.lab.LabException;

/** The Testcontainers-managed lab (-Dlab=containers). */
public final class ContainerLab {

    private ContainerLab() {
    }

    public static Lab start(Settings settings, LabDirectory directory, Deadlines deadlines) {
        throw new LabException("the container lab is not available in this build");
    }

    /** The reference gateway, run as a container that reaches the lab's proxies. */
    public static io.pgresilience.target.GatewayTarget referenceGateway(Settings settings, Lab lab, LabDirectory directory,
                                                                        java.nio.file.Path logsDir) {
        throw new LabException("the container lab is not available in this build");
    }
}
