package io.pgresilience.faults.kernel;

import io.pgresilience.faults.FaultProxy;
import io.pgresilience.faults.ProxyMaker;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The lab's links made by the kernel ({@code -Dfaults=kernel}): a node's link is the path from the gateway's address to
 * the node's own host ({@link KernelLink}: the gateway connects to the node itself), the replication link is the path
 * between the primary's host and the others; the VIP is an address that moves to the primary's host ({@link KernelVip},
 * as keepalived moves one), so the kernel's faults on a node act on the VIP's connections too.
 */
public final class KernelProxyMaker implements ProxyMaker {

    private final KernelNet net;
    private final java.util.Set<Host> clients = new java.util.concurrent.CopyOnWriteArraySet<>();
    private final java.util.Set<Host> services = new java.util.concurrent.CopyOnWriteArraySet<>();

    public KernelProxyMaker(KernelNet net) {
        this.net = net;
    }

    /**
     * A host that is a client of the nodes (a pooler, a router): a fault on a node's link acts between the node and it
     * too, as it acts between the node and the gateway; its own link is the path from the gateway to it.
     */
    public KernelProxyMaker withClient(Host host) {
        clients.add(host);
        return this;
    }

    public KernelNet net() {
        return net;
    }

    @Override
    public FaultProxy start(String name, InetAddress listen, String upstreamHost, int upstreamPort) {
        if (name.equals("vip")) {
            KernelVip vip = new KernelVip(net, upstreamPort);
            vip.upstream(upstreamHost, upstreamPort);
            return vip;
        }
        if (name.equals("replication")) {
            // Named before the primary is: upstream() points it at the primary's host, the others are its peers.
            return new KernelLink(name, net, null, upstreamPort, this::othersThan);
        }
        Host host = net.hosts().stream().filter(h -> h.address().equals(upstreamHost)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("-Dfaults=kernel: no host of " + net + " has the address "
                        + upstreamHost + " (link " + name + ")"));
        if (name.startsWith("replication-to-")) {
            // Into one node (Patroni's connect_address): the other nodes stream from it. Its cut is the replication
            // port's alone: the nodes' HA managers still reach each other, as when a proxy on that port cuts it.
            return new KernelLink(name, net, host, upstreamPort, this::othersThan, true);
        }
        return new KernelLink(name, net, host, upstreamPort, this::clientsOf);
    }

    /**
     * A host of the cluster's own services (etcd, the HA manager's store): no link of the gateway's leads there, and a
     * fault on a node's link leaves it alone, as the proxies do; {@link Host#setPartitionedFrom} cuts it on purpose.
     */
    public KernelProxyMaker withService(Host host) {
        services.add(host);
        return this;
    }

    /** Who reaches a host as a client: the gateway, and for a node every client host (a pooler, a router). */
    private List<String> clientsOf(Host host) {
        if (clients.contains(host)) {
            return List.of(net.gatewayAddress());
        }
        List<String> out = new java.util.ArrayList<>(List.of(net.gatewayAddress()));
        clients.stream().map(Host::address).forEach(out::add);
        return out;
    }

    @Override
    public boolean healDeliversWhatWasSentIntoIt() {
        return true;
    }

    @Override
    public java.util.Optional<String> whyNoIsolation() {
        return java.util.Optional.empty();
    }

    /** Every packet between the host and every other host of the net (and the gateway) dropped; the observer's path stays. */
    @Override
    public synchronized List<String> setIsolated(String address, boolean isolated) {
        Host host = net.hosts().stream().filter(h -> h.address().equals(address)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("-Dfaults=kernel: no host of " + net + " has the address " + address));
        List<String> peers = new java.util.ArrayList<>();
        net.hosts().stream().filter(other -> other != host).forEach(other -> peers.add(other.address()));
        peers.add(net.gatewayAddress());
        host.setPartitionedFrom(peers, isolated);
        return host.faults();
    }

    /** The other nodes (a replication link's peers). */
    private List<String> othersThan(Host host) {
        return nodes().stream().filter(h -> h != host).map(Host::address).toList();
    }

    /** The database nodes: every host that is neither a client nor a service. */
    public List<Host> nodes() {
        return net.hosts().stream().filter(h -> !clients.contains(h) && !services.contains(h)).toList();
    }

    /** A kernel link is reached at the host's own address; the VIP proxy where it listens on loopback. */
    @Override
    public InetSocketAddress addressInLab(FaultProxy proxy, String hostAlias) {
        return proxy instanceof KernelLink || proxy instanceof KernelVip
                ? InetSocketAddress.createUnresolved(proxy.listenHost(), proxy.listenPort())
                : ProxyMaker.super.addressInLab(proxy, hostAlias);
    }

    @Override
    public String describe() {
        return "kernel: nftables rules in each host's network namespace (" + net + "; the gateway at " + net.gatewayAddress()
                + ", the suite's own connections from " + net.observerAddress() + ", which no rule touches; the VIP "
                + net.vipAddress() + " moves to the primary's host); latency: no netem in this kernel, so a node's packets to its clients are routed "
                + "through a TUN device in its namespace and held by the suite, open connections included";
    }

    @Override
    public void close() {
        net.close();
    }
}
