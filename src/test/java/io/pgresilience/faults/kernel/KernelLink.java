package io.pgresilience.faults.kernel;

import io.pgresilience.faults.FaultProxy;
import io.pgresilience.faults.Toxic;
import io.pgresilience.faults.ToxicType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * The path from some peers (the gateway's address, or the other nodes for a replication link) to one host, with the
 * fault verbs of a {@link FaultProxy} made by the kernel instead of a proxy: nothing stands on the path, the peers
 * connect to the host's own address, and each toxic becomes an nftables rule in the host's namespace. A blackhole
 * (timeout 0) is a partition, open connections included; reset_peer destroys the open connections and resets every
 * packet while it stands; disabled refuses new connections and destroys the open ones. Latency (downstream: what the
 * host sends to the peers) is the one fault the kernel here cannot make alone (no netem): the kernel routes the host's
 * packets to the peers through a TUN device and the suite holds each for the latency ({@link PacketDelay}), so open
 * connections are slowed too and nothing stands on their TCP path. What cannot be made (bandwidth, upstream latency,
 * jitter) is refused with {@link UnsupportedOperationException}, whose message says so.
 */
public final class KernelLink implements FaultProxy {

    /** The message (and a skip's reason) for what the kernel cannot make. */
    public static final String NO_NETEM = "the kernel fault engine cannot make bandwidth limits, jitter or upstream latency here "
            + "(no netem in this kernel); -Dfaults=in-jvm or toxiproxy can";

    private final String name;
    private final KernelNet net;
    private final Function<Host, List<String>> peersOf;
    private final List<Toxic> toxics = new CopyOnWriteArrayList<>();
    private volatile Host host;
    private volatile int port;
    private volatile boolean enabled = true;
    private final boolean portScoped;

    /**
     * @param peersOf who is on the other side of the path, given the host it leads to
     * @param host the host it leads to (null until {@link #upstream} names one)
     */
    KernelLink(String name, KernelNet net, Host host, int port, Function<Host, List<String>> peersOf) {
        this(name, net, host, port, peersOf, false);
    }

    /**
     * @param portScoped whether its blackhole cuts only the path to the host's port (the peers still reach the host's
     *                   other services: a replication link broken while the HA managers still talk to each other, as
     *                   a proxy on the replication port cuts it), or every packet between the peers and the host
     */
    KernelLink(String name, KernelNet net, Host host, int port, Function<Host, List<String>> peersOf, boolean portScoped) {
        this.portScoped = portScoped;
        this.name = name;
        this.net = net;
        this.host = host;
        this.port = port;
        this.peersOf = peersOf;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String listenHost() {
        return host == null ? "127.0.0.1" : host.address();
    }

    @Override
    public int listenPort() {
        return port;
    }

    @Override
    public String upstreamHost() {
        return listenHost();
    }

    @Override
    public int upstreamPort() {
        return port;
    }

    /** The path now leads to the host with that address (a replication link following the primary). */
    @Override
    public synchronized void upstream(String address, int upstreamPort) {
        Host next = net.hosts().stream().filter(h -> h.address().equals(address)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no host of " + net + " has the address " + address));
        if (next == host && upstreamPort == port) {
            return;
        }
        List<Toxic> standing = List.copyOf(toxics);
        boolean wasEnabled = enabled;
        reset();
        host = next;
        port = upstreamPort;
        standing.forEach(this::addToxic);
        if (!wasEnabled) {
            disable();
        }
    }

    private List<String> peers() {
        return host == null ? List.of() : peersOf.apply(host);
    }

    @Override
    public synchronized void enable() {
        peers().forEach(p -> host.setRefusing(p, false));
        enabled = true;
    }

    @Override
    public synchronized void disable() {
        enabled = false;
        for (String p : peers()) {
            host.setRefusing(p, true);
            host.resetConnectionsWith(p);
        }
    }

    @Override
    public boolean enabled() {
        return enabled;
    }

    @Override
    public synchronized void addToxic(Toxic toxic) {
        if (toxics.stream().anyMatch(t -> t.name().equals(toxic.name()))) {
            throw new IllegalArgumentException("link " + name + " already has a toxic named " + toxic.name());
        }
        switch (toxic.type()) {
            case TIMEOUT -> {
                if (toxic.attribute("timeout") > 0) {
                    throw new UnsupportedOperationException("the kernel fault engine makes a blackhole at once, not after "
                            + toxic.attribute("timeout") + " ms");
                }
                peers().forEach(p -> partition(p, true));
            }
            case RESET_PEER -> {
                for (String p : peers()) {
                    host.setResetting(p, true);
                    host.resetConnectionsWith(p);
                }
            }
            case LATENCY -> {
                if (toxic.stream() != io.pgresilience.faults.Direction.DOWNSTREAM || toxic.attribute("jitter") != 0
                        || toxic.toxicity() < 1.0) {
                    throw new UnsupportedOperationException(NO_NETEM + " (asked for " + toxic.type() + " " + toxic.stream()
                            + ", jitter " + toxic.attribute("jitter") + " ms, toxicity " + toxic.toxicity() + ")");
                }
                if (toxics.stream().anyMatch(t -> t.type() == ToxicType.LATENCY)) {
                    throw new UnsupportedOperationException("the kernel fault engine holds one latency per link; remove "
                            + toxics.stream().filter(t -> t.type() == ToxicType.LATENCY).findFirst().orElseThrow().name() + " first");
                }
                try {
                    host.setDelayed(peers(), java.time.Duration.ofMillis(toxic.attribute("latency")));
                } catch (io.pgresilience.support.LabException noDevice) {
                    throw new UnsupportedOperationException(noDevice.getMessage());
                }
            }
            default -> throw new UnsupportedOperationException(NO_NETEM + " (asked for " + toxic.type() + ")");
        }
        toxics.add(toxic);
    }

    @Override
    public synchronized void removeToxic(String toxicName) {
        toxics.removeIf(t -> t.name().equals(toxicName));
        boolean partitioned = toxics.stream().anyMatch(t -> t.type() == ToxicType.TIMEOUT);
        boolean resetting = toxics.stream().anyMatch(t -> t.type() == ToxicType.RESET_PEER);
        for (String p : peers()) {
            partition(p, partitioned);
            host.setResetting(p, resetting);
        }
        if (toxics.stream().noneMatch(t -> t.type() == ToxicType.LATENCY) && host != null) {
            undelay();
        }
    }

    /** Stops holding the packets of this link's peers (another link's peers on the same host stay held). */
    private void undelay() {
        java.util.Set<String> still = new java.util.LinkedHashSet<>(host.delayedPeers());
        if (still.removeAll(peers())) {
            host.setDelayed(still, still.isEmpty() ? java.time.Duration.ZERO : host.delay());
        }
    }

    private void partition(String peer, boolean on) {
        if (portScoped) {
            host.setPartitionedFrom(peer, port, on);
        } else {
            host.setPartitionedFrom(peer, on);
        }
    }

    @Override
    public List<Toxic> toxics() {
        return List.copyOf(toxics);
    }

    @Override
    public synchronized void reset() {
        toxics.clear();
        for (String p : peers()) {
            partition(p, false);
            host.setResetting(p, false);
            host.setRefusing(p, false);
        }
        if (host != null) {
            undelay();
        }
        enabled = true;
    }

    @Override
    public int connectionCount() {
        int n = 0;
        for (String p : peers()) {
            n += host.connectionsWith(p).size();
        }
        return n;
    }

    /** What the kernel holds on this path now, in its own words (for the evidence). */
    public List<String> madeBy() {
        if (host == null) {
            return List.of();
        }
        List<String> mine = new ArrayList<>();
        for (String line : host.faults()) {
            if (peers().stream().anyMatch(line::contains)) {
                mine.add(line);
            }
        }
        return mine;
    }

    @Override
    public void close() {
        if (host != null) {
            reset();
        }
    }

    @Override
    public String toString() {
        return name + " (kernel: " + (host == null ? "no host yet" : host.name() + " " + host.address() + ":" + port) + ")";
    }

}
