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
        return new KernelLink(name, net, host, upstreamPort, this::clientsOf);
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

    /** The other nodes (a replication link's peers). */
    private List<String> othersThan(Host host) {
        return net.hosts().stream().filter(h -> h != host && !clients.contains(h)).map(Host::address).toList();
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
                + net.vipAddress() + " moves to the primary's host); no latency (no netem in this kernel)";
    }

    @Override
    public void close() {
        net.close();
    }
}
