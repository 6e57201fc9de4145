package io.pgresilience.faults.kernel;

import io.pgresilience.faults.FaultProxy;
import io.pgresilience.faults.Toxic;
import java.util.List;

/**
 * The VIP of a kernel net: an address that follows the primary from host to host, as keepalived moves one (no proxy: the
 * gateway's packets reach the node that holds it). Its faults are the nodes' own: a partition or a reset of the node
 * that holds the VIP acts on the VIP's connections too, so it takes no toxic of its own.
 */
public final class KernelVip implements FaultProxy {

    private final KernelNet net;
    private volatile int port;

    KernelVip(KernelNet net, int port) {
        this.net = net;
        this.port = port;
    }

    @Override
    public String name() {
        return "vip";
    }

    @Override
    public String listenHost() {
        return net.vipAddress();
    }

    @Override
    public int listenPort() {
        return port;
    }

    @Override
    public String upstreamHost() {
        Host h = net.vipHolder();
        return h == null ? net.vipAddress() : h.address();
    }

    @Override
    public int upstreamPort() {
        return port;
    }

    /** Moves the VIP to the host with that address (every node listens on the same port in its own namespace). */
    @Override
    public void upstream(String address, int upstreamPort) {
        if (upstreamPort != port) {
            throw new IllegalArgumentException("the kernel VIP serves port " + port + " on every host, not " + upstreamPort);
        }
        net.moveVip(net.hosts().stream().filter(h -> h.address().equals(address)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no host of " + net + " has the address " + address)));
    }

    @Override
    public void enable() {
        // the VIP refuses nothing of its own: the faults stand on the nodes
    }

    @Override
    public void disable() {
        throw new UnsupportedOperationException("the kernel VIP refuses nothing of its own: make the node unreachable instead");
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public void addToxic(Toxic toxic) {
        throw new UnsupportedOperationException("the kernel VIP takes no toxic of its own: the faults stand on the nodes ("
                + toxic.type() + ")");
    }

    @Override
    public void removeToxic(String toxicName) {
        // none to remove
    }

    @Override
    public List<Toxic> toxics() {
        return List.of();
    }

    @Override
    public void reset() {
        // nothing of its own
    }

    @Override
    public int connectionCount() {
        Host h = net.vipHolder();
        return h == null ? 0 : h.connectionsWith(net.gatewayAddress()).size();
    }

    @Override
    public void close() {
        // the net removes the address with its namespaces
    }

    @Override
    public String toString() {
        return "vip (kernel: " + net.vipAddress() + ":" + port + " on " + (net.vipHolder() == null ? "no host yet" : net.vipHolder().name()) + ")";
    }
}
