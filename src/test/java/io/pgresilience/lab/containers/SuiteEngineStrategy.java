package io.pgresilience.lab.containers;

import java.net.URI;
import org.testcontainers.dockerclient.DockerClientProviderStrategy;
import org.testcontainers.dockerclient.TransportConfig;

/**
 * Points Testcontainers at the podman service the suite started itself because no engine answered at
 * DOCKER_HOST. Registered through META-INF/services; in every other run (the embedded lab, a machine with
 * Docker) it is not applicable, so Testcontainers finds its engine as it always does.
 */
public final class SuiteEngineStrategy extends DockerClientProviderStrategy {

    private static volatile URI socket;

    /** From now on Testcontainers talks to this socket (it keeps the client it builds for the life of the JVM). */
    static void use(URI unixSocket) {
        socket = unixSocket;
    }

    @Override
    public String getDescription() {
        return "the podman service pg-resilience started at " + socket;
    }

    @Override
    protected boolean isApplicable() {
        return socket != null;
    }

    /** Never written to ~/.testcontainers.properties: the socket lives only as long as this run. */
    @Override
    protected boolean isPersistable() {
        return false;
    }

    /** Above the socket and Docker Desktop strategies, below DOCKER_HOST (which Testcontainers always tries first). */
    @Override
    protected int getPriority() {
        return 200;
    }

    @Override
    public TransportConfig getTransportConfig() {
        return TransportConfig.builder().dockerHost(socket).build();
    }

    /**
     * The podman on this machine publishes container ports on the loopback interface. Testcontainers would guess
     * otherwise wherever /.dockerenv exists (it then assumes it runs inside a container).
     */
    @Override
    public String getDockerHostIpAddress() {
        return "127.0.0.1";
    }
}
