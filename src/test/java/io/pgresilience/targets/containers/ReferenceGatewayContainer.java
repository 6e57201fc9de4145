package io.pgresilience.targets.containers;

import io.pgresilience.targets.HttpCheck;
import io.pgresilience.support.Wait;
import java.util.Optional;
import io.pgresilience.lab.containers.ContainerCluster;
import io.pgresilience.lab.containers.LogTail;
import io.pgresilience.lab.containers.ContainerLogFile;


import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import io.pgresilience.config.Settings;
import io.pgresilience.support.LabException;
import io.pgresilience.support.Ports;
import io.pgresilience.faults.LabNetwork;
import io.pgresilience.targets.ReferenceGatewayTarget;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;
import org.testcontainers.utility.DockerImageName;

/**
 * The reference gateway in a container of the container lab, built from the project's own classes. It reaches the
 * database only through the suite's fault proxies (host.containers.internal:port), exactly as configured for the
 * local JVM (same GATEWAY_* environment, only it listens on 0.0.0.0), and offers the same capabilities.
 */
public final class ReferenceGatewayContainer extends ReferenceGatewayTarget {

    static final int PORT = 8000;

    private final ContainerCluster cluster;
    private final GatewayImage image;
    private GenericContainer<?> container;
    private ContainerLogFile containerLog;

    public ReferenceGatewayContainer(Settings settings, ContainerCluster cluster, LabNetwork network, Path logsDir) {
        super(settings, cluster, network, logsDir.resolve("reference-gateway-container.log"));
        this.cluster = cluster;
        this.image = new GatewayImage(settings.text("lab.gateway-base-image"), cluster.labels(), cluster.engine());
    }

    @Override
    protected void startGateway() {
        int hostPort = Ports.requireFree(settings.integer("gateway.port"), "the reference gateway");
        String host = cluster.engine().host();
        // GATEWAY_PARENT_PID=0: the suite's JVM is not visible from the container; teardown and labels remove it.
        Map<String, String> env = setup.environment("0.0.0.0", PORT, topology, token, 0);
        containerLog = new ContainerLogFile(logFile);
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image.name(settings.millis("deadline.lab-ms"))))
                .withEnv(env)
                .withNetwork(cluster.network())
                .withLabels(cluster.labels().map())
                .withExposedPorts(PORT)
                .withLogConsumer(containerLog)
                .withCreateContainerCmdModifier(cmd -> cmd.withName(cluster.labels().name("gateway")))
                .waitingFor(new AbstractWaitStrategy() {
                    @Override
                    protected void waitUntilReady() {
                        // readiness is awaited over HTTP below, failing fast if the container exits
                    }
                });
        c.setPortBindings(List.of((isLoopback(host) ? "127.0.0.1:" : "") + hostPort + ":" + PORT));
        if (!cluster.engine().podman()) {
            c.withExtraHost(cluster.hostAlias(), "host-gateway");
        }
        try {
            c.start();
        } catch (RuntimeException e) {
            c.stop();
            containerLog.close();
            throw new LabException("the reference gateway's container did not start: " + e.getMessage(), e);
        }
        container = c;
        baseUrl = "http://" + host + ":" + hostPort;
    }

    private static boolean isLoopback(String host) {
        return host.equals("127.0.0.1") || host.equals("localhost");
    }

    /** Polls the URL until it answers 200; fails at once, with the log's last lines, if the container exits. */
    @Override
    protected void awaitHttp200(String url, Duration within) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build();
        boolean ok = Wait.until("reference gateway container answers 200 at " + url, within, Duration.ofMillis(200), () -> {
            if (!running()) {
                throw new Wait.GiveUp(new LabException("the reference gateway's container exited while starting: "
                        + LogTail.of(log().tail(5), 5)));
            }
            return HttpCheck.answers200(http, request);
        }, Boolean.TRUE::equals, false);
        if (!ok) {
            throw new LabException("the reference gateway's container did not answer 200 at " + url + " within "
                    + within.toSeconds() + " s; last log lines: " + LogTail.of(log().tail(5), 5));
        }
    }

    /** As for the local JVM: a gateway that did not recover by itself is said so, then restarted. */
    @Override
    protected boolean recoversWithin(String url, Duration within) {
        try {
            awaitHttp200(url, within);
            return true;
        } catch (LabException e) {
            System.err.println("pg-resilience: the reference gateway's container was not ready " + within.toSeconds()
                    + " s after the lab was repaired (it did not recover from the previous scenario by itself); restarting it");
            return false;
        }
    }

    @Override
    protected boolean running() {
        return state().map(s -> Boolean.TRUE.equals(s.getState().getRunning())).orElse(false);
    }

    /** The gateway's process id on the host (PID 1 of its container): a new one after every restart. */
    private String pid() {
        return state().map(s -> s.getState().getPidLong()).filter(p -> p != null && p > 0).map(String::valueOf).orElse("-");
    }

    private Optional<InspectContainerResponse> state() {
        if (container == null || container.getContainerId() == null) {
            return Optional.empty();
        }
        try {
            InspectContainerResponse info = cluster.engine().client().inspectContainerCmd(container.getContainerId()).exec();
            return info.getState() == null ? Optional.empty() : Optional.of(info);
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public Map<String, String> describe() {
        String where = container == null ? "" : " in container " + cluster.labels().name("gateway") + " (image FROM "
                + settings.text("lab.gateway-base-image") + ")";
        return setup.describe("reference-gateway " + version() + where, pid(), databaseUrl());
    }

    @Override
    protected void stopGateway() {
        if (container != null) {
            container.stop();
            container = null;
        }
        if (containerLog != null) {
            containerLog.close();
            containerLog = null;
        }
    }

    @Override
    public void close() {
        try {
            stopGateway();
        } finally {
            image.remove();
        }
    }
}
