package io.pgresilience.faults;

import eu.rekawek.toxiproxy.ToxiproxyClient;
import io.pgresilience.support.LabException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.testcontainers.containers.Network;
import org.testcontainers.toxiproxy.ToxiproxyContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A real Toxiproxy in a container of the container lab: Testcontainers' {@link ToxiproxyContainer} on the lab's network,
 * as a user with Docker runs it. The gateway and the standby reach its proxies there by its name, the suite on their
 * published ports; its upstreams are the nodes by their names on that network. The image is the official
 * {@code ghcr.io/shopify/toxiproxy} or one built locally from the same Go binary and declared its substitute.
 */
public final class ToxiproxyContainerServer implements ProxyMaker {

    /** The container's name on the lab's network. */
    public static final String ALIAS = "toxiproxy";
    /** The ports {@link ToxiproxyContainer} publishes for proxies: 8666 and the 31 after it. */
    private static final int FIRST_PORT = 8666;
    private static final int LAST_PORT = FIRST_PORT + 31;

    private final ToxiproxyContainer container;
    private final ToxiproxyClient client;
    private final String image;
    private final String version;
    private final String publishedHost;
    private final Map<Integer, String> upstreamsInLab;
    private final Map<Integer, Integer> serverPortOfPublished = new ConcurrentHashMap<>();
    private final AtomicInteger nextPort = new AtomicInteger(FIRST_PORT);
    private final long pid;

    private ToxiproxyContainerServer(ToxiproxyContainer container, String image, Map<Integer, String> upstreamsInLab) {
        this.container = container;
        this.image = image;
        this.upstreamsInLab = Map.copyOf(upstreamsInLab);
        this.publishedHost = container.getHost();
        this.client = new ToxiproxyClient(publishedHost, container.getControlPort());
        try {
            this.version = ToxiproxyServer.versionOf(client.version());
        } catch (IOException e) {
            throw new LabException("Toxiproxy in its container (" + image + ") does not tell its version: " + e.getMessage(), e);
        }
        Long p = container.getContainerInfo().getState().getPidLong();
        this.pid = p == null ? 0 : p;
    }

    /**
     * Starts the container on the lab's network.
     *
     * @param upstreamsInLab for each port on which this host reaches a node, that node as the lab's network names it
     *                       (e.g. 54321 → node1:5432)
     */
    public static ToxiproxyContainerServer start(String image, Network network, Map<String, String> labels, String containerName,
                                                 Map<Integer, String> upstreamsInLab, Duration within) {
        ToxiproxyContainer c = new ToxiproxyContainer(DockerImageName.parse(image).asCompatibleSubstituteFor("ghcr.io/shopify/toxiproxy"))
                .withNetwork(network)
                .withNetworkAliases(ALIAS)
                .withLabels(labels)
                .withCreateContainerCmdModifier(cmd -> cmd.withName(containerName));
        c.setWaitStrategy(new org.testcontainers.containers.wait.strategy.HttpWaitStrategy().forPath("/version").forPort(8474)
                .withStartupTimeout(within));
        try {
            c.start();
            return new ToxiproxyContainerServer(c, image, upstreamsInLab);
        } catch (RuntimeException e) {
            String logs = "";
            try {
                logs = c.getLogs();
            } catch (RuntimeException gone) {
                // nothing to show
            }
            c.stop();
            throw new LabException("Toxiproxy's container (" + image + ") did not start within " + within.toMillis() + " ms: "
                    + e.getMessage() + (logs.isBlank() ? "" : " | " + logs.strip().replace('\n', ' ')), e);
        }
    }

    @Override
    public FaultProxy start(String name, InetAddress listen, String upstreamHost, int upstreamPort) {
        int serverPort = nextPort.getAndIncrement();
        if (serverPort > LAST_PORT) {
            throw new LabException("Toxiproxy's container publishes " + (LAST_PORT - FIRST_PORT + 1) + " proxy ports; proxy "
                    + name + " is one too many");
        }
        int published = container.getMappedPort(serverPort);
        serverPortOfPublished.put(published, serverPort);
        return ToxiproxyFaultProxy.create(client, name, "0.0.0.0", serverPort, publishedHost, published, place, upstreamHost,
                upstreamPort);
    }

    /** Upstreams as the lab's network names them; connections counted in the container's own network namespace. */
    private final ToxiproxyFaultProxy.Place place = new ToxiproxyFaultProxy.Place() {
        @Override
        public String upstream(String host, int port) {
            Integer own = serverPortOfPublished.get(port);
            if (own != null) {
                return "127.0.0.1:" + own; // another proxy of this server (the VIP in front of a node's proxy)
            }
            String node = upstreamsInLab.get(port);
            return node != null ? node : host + ":" + port;
        }

        @Override
        public int connections(int serverPort) {
            return established(serverPort);
        }
    };

    @Override
    public InetSocketAddress addressInLab(FaultProxy proxy, String hostAlias) {
        Integer serverPort = serverPortOfPublished.get(proxy.listenPort());
        if (serverPort == null) {
            throw new IllegalArgumentException("proxy " + proxy.name() + " is not one of this Toxiproxy's");
        }
        return InetSocketAddress.createUnresolved(ALIAS, serverPort);
    }

    @Override
    public String describe() {
        return "Toxiproxy " + version + " in a container on the lab's network (Testcontainers' ToxiproxyContainer, image "
                + image + "), driven by toxiproxy-java";
    }

    /**
     * Established TCP connections on the port, read from the container's network namespace: from /proc of its process
     * where this host sees it (any image), else from inside the container (an image with cat).
     */
    private int established(int port) {
        List<String> lines = new ArrayList<>();
        try {
            for (String table : List.of("tcp", "tcp6")) {
                Path p = Path.of("/proc", Long.toString(pid), "net", table);
                if (pid > 0 && Files.isReadable(p)) {
                    lines.addAll(Files.readAllLines(p));
                }
            }
            if (lines.isEmpty()) {
                lines.addAll(container.execInContainer("cat", "/proc/net/tcp", "/proc/net/tcp6").getStdout().lines().toList());
            }
        } catch (IOException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new LabException("cannot count the connections of Toxiproxy's container: " + e.getMessage(), e);
        }
        String local = ":" + String.format(Locale.ROOT, "%04X", port);
        int n = 0;
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            // sl local_address rem_address st ...: 01 is ESTABLISHED
            if (f.length > 3 && f[1].endsWith(local) && f[3].equals("01")) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        container.stop();
    }
}
