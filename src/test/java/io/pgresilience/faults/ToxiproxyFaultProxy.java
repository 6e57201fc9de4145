package io.pgresilience.faults;

import eu.rekawek.toxiproxy.Proxy;
import eu.rekawek.toxiproxy.ToxiproxyClient;
import eu.rekawek.toxiproxy.model.ToxicDirection;
import eu.rekawek.toxiproxy.model.ToxicList;
import io.pgresilience.support.Command;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntSupplier;

/**
 * One proxy of a real Toxiproxy server, behind the suite's {@link FaultProxy} verbs: the same toxics, the same
 * enable/disable and upstream semantics (Toxiproxy's own), so scenarios do not know which proxy they run on.
 * Toxiproxy does not report its open connections: they are counted from the operating system.
 */
final class ToxiproxyFaultProxy implements FaultProxy {

    /**
     * Where the server runs, as this host sees it: a server in a container listens on a port of its own and is
     * reached here on a published one, and names upstreams as its network does.
     */
    interface Place {
        /** The upstream as the server must be told it, for one this host knows as host:port. */
        String upstream(String host, int port);

        /** Connections the server holds open on its listening port {@code serverPort}. */
        int connections(int serverPort);
    }

    private final Proxy proxy;
    private final String name;
    private final String listenHost;
    private final int listenPort;
    private final int serverPort;
    private final Place place;
    private final List<Toxic> toxics = new CopyOnWriteArrayList<>();
    private volatile String upstreamHost;
    private volatile int upstreamPort;
    private volatile boolean enabled = true;

    private ToxiproxyFaultProxy(Proxy proxy, String name, String listenHost, int listenPort, int serverPort, Place place,
                                String upstreamHost, int upstreamPort) {
        this.proxy = proxy;
        this.name = name;
        this.listenHost = listenHost;
        this.listenPort = listenPort;
        this.serverPort = serverPort;
        this.place = place;
        this.upstreamHost = upstreamHost;
        this.upstreamPort = upstreamPort;
    }

    /** A proxy of a server on this host: it listens where this host reaches it; connections counted with ss. */
    static ToxiproxyFaultProxy create(ToxiproxyClient client, String name, String listenHost, int listenPort, String upstreamHost,
                                      int upstreamPort) {
        return create(client, name, listenHost, listenPort, listenHost, listenPort, ON_THIS_HOST, upstreamHost, upstreamPort);
    }

    /**
     * A proxy listening on {@code serverHost:serverPort} where the server runs, reached from this host on
     * {@code listenHost:listenPort}.
     */
    static ToxiproxyFaultProxy create(ToxiproxyClient client, String name, String serverHost, int serverPort, String listenHost,
                                      int listenPort, Place place, String upstreamHost, int upstreamPort) {
        try {
            Proxy p = client.createProxy(name, serverHost + ":" + serverPort, place.upstream(upstreamHost, upstreamPort));
            return new ToxiproxyFaultProxy(p, name, listenHost, listenPort, serverPort, place, upstreamHost, upstreamPort);
        } catch (IOException e) {
            throw new UncheckedIOException("Toxiproxy refused proxy " + name + " on " + serverHost + ":" + serverPort + ": "
                    + e.getMessage(), e);
        }
    }

    /** A server on this host: upstreams as given, connections as ss sees them. */
    private static final Place ON_THIS_HOST = new Place() {
        @Override
        public String upstream(String host, int port) {
            return host + ":" + port;
        }

        @Override
        public int connections(int serverPort) {
            String out = Command.of("ss", "-Htn", "state", "established", "( sport = :" + serverPort + " )").run().output();
            return (int) out.lines().filter(l -> !l.isBlank()).count();
        }
    };

    @Override
    public String name() {
        return name;
    }

    @Override
    public String listenHost() {
        return listenHost.equals("0.0.0.0") ? "127.0.0.1" : listenHost;
    }

    @Override
    public int listenPort() {
        return listenPort;
    }

    @Override
    public String upstreamHost() {
        return upstreamHost;
    }

    @Override
    public int upstreamPort() {
        return upstreamPort;
    }

    @Override
    public synchronized void upstream(String host, int port) {
        if (host.equals(upstreamHost) && port == upstreamPort) {
            return;
        }
        // Toxiproxy restarts the proxy on a new upstream: the connections to the old one are closed.
        call(() -> proxy.setUpstream(place.upstream(host, port)));
        upstreamHost = host;
        upstreamPort = port;
    }

    @Override
    public synchronized void enable() {
        if (!enabled) {
            call(proxy::enable);
            enabled = true;
        }
    }

    @Override
    public synchronized void disable() {
        if (enabled) {
            call(proxy::disable);
            enabled = false;
        }
    }

    @Override
    public boolean enabled() {
        return enabled;
    }

    @Override
    public synchronized void addToxic(Toxic toxic) {
        if (toxics.stream().anyMatch(t -> t.name().equals(toxic.name()))) {
            throw new IllegalArgumentException("proxy " + name + " already has a toxic named " + toxic.name());
        }
        ToxicList list = proxy.toxics();
        ToxicDirection dir = toxic.stream() == Direction.UPSTREAM ? ToxicDirection.UPSTREAM : ToxicDirection.DOWNSTREAM;
        call(() -> {
            eu.rekawek.toxiproxy.model.Toxic made = switch (toxic.type()) {
                case LATENCY -> list.latency(toxic.name(), dir, toxic.attribute("latency")).setJitter(toxic.attribute("jitter"));
                case TIMEOUT -> list.timeout(toxic.name(), dir, toxic.attribute("timeout"));
                case RESET_PEER -> list.resetPeer(toxic.name(), dir, toxic.attribute("timeout"));
                case BANDWIDTH -> list.bandwidth(toxic.name(), dir, toxic.attribute("rate"));
                case SLOW_CLOSE -> list.slowClose(toxic.name(), dir, toxic.attribute("delay"));
                case LIMIT_DATA -> list.limitData(toxic.name(), dir, toxic.attribute("bytes"));
            };
            if (toxic.toxicity() < 1.0) {
                made.setToxicity((float) toxic.toxicity());
            }
        });
        toxics.add(toxic);
    }

    @Override
    public synchronized void removeToxic(String toxicName) {
        if (toxics.removeIf(t -> t.name().equals(toxicName))) {
            call(() -> proxy.toxics().get(toxicName).remove());
        }
    }

    @Override
    public List<Toxic> toxics() {
        return List.copyOf(toxics);
    }

    @Override
    public synchronized void reset() {
        for (Toxic t : List.copyOf(toxics)) {
            removeToxic(t.name());
        }
        enable();
    }

    /** Connections the proxy holds open, as the operating system sees them (Toxiproxy's API does not say). */
    /** Toxiproxy's reset_peer resets a connection that carries nothing only when data next flows on it. */
    @Override
    public boolean resetsIdleConnectionsAtOnce() {
        return false;
    }

    @Override
    public int connectionCount() {
        return place.connections(serverPort);
    }

    @Override
    public void close() {
        try {
            proxy.delete();
        } catch (IOException e) {
            // the server goes with the lab anyway
        }
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private void call(IoAction action) {
        try {
            action.run();
        } catch (IOException e) {
            throw new UncheckedIOException("Toxiproxy proxy " + name + ": " + e.getMessage(), e);
        }
    }
}
