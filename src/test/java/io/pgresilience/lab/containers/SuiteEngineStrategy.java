package io.pgresilience.lab.containers;

import java.net.URI;
import org.testcontainers.dockerclient.DockerClientProviderStrategy;
import org.testcontainers.dockerclient.TransportConfig;

/**
 * Points Testcontainers at the engine the suite chose when it knows better than Testcontainers' own guess: the
 * podman service the suite started itself because no engine answered, or a daemon on this very host behind a unix
 * socket (whose ports are on this host's loopback). Registered through META-INF/services; in every other run (the
 * embedded lab, a remote engine) it is not applicable, so Testcontainers finds its engine as it always does.
 */
public final class SuiteEngineStrategy extends DockerClientProviderStrategy {

    private static volatile URI socket;

    /** From now on Testcontainers talks to this socket (it keeps the client it builds for the life of the JVM). */
    static void use(URI unixSocket) {
        socket = unixSocket;
    }

    @Override
    public String getDescription() {
        return "the engine on this host at " + socket;
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
     * An engine on this machine publishes container ports on this host. Testcontainers would guess otherwise wherever
     * /.dockerenv exists (it then assumes it runs inside a container of that engine).
     */
    @Override
    public String getDockerHostIpAddress() {
        return "127.0.0.1";
    }
}
