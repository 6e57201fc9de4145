package io.pgresilience.faults;

import io.pgresilience.lab.DbCluster;
import io.pgresilience.lab.DbNode;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The only ways from the gateway to the database: one fault proxy in front of each node (what a multi-host
 * URL lists) and a "vip" proxy that follows the primary (the VIP/HAProxy a single-host gateway needs).
 */
public final class LabNetwork implements AutoCloseable {

    private final Map<String, FaultProxy> byNode = new LinkedHashMap<>();
    private final FaultProxy vip;

    private LabNetwork(DbCluster cluster, InetAddress listen) {
        for (DbNode node : cluster.nodes()) {
            byNode.put(node.name(), InJvmFaultProxy.start("to-" + node.name(), listen, 0, node.host(), node.port()));
        }
        DbNode primary = cluster.primary();
        vip = InJvmFaultProxy.start("vip", listen, 0, primary.host(), primary.port());
    }

    /** Proxies on loopback, for gateways that run on this host. */
    public static LabNetwork inFrontOf(DbCluster cluster) {
        return new LabNetwork(cluster, InetAddress.getLoopbackAddress());
    }

    /** Proxies on every interface, for gateways in containers. */
    public static LabNetwork inFrontOf(DbCluster cluster, InetAddress listen) {
        return new LabNetwork(cluster, listen);
    }

    public FaultProxy proxyFor(DbNode node) {
        FaultProxy p = byNode.get(node.name());
        if (p == null) {
            throw new IllegalArgumentException("no proxy in front of " + node.name());
        }
        return p;
    }

    public FaultProxy vip() {
        return vip;
    }

    public List<FaultProxy> nodeProxies() {
        return List.copyOf(byNode.values());
    }

    public List<FaultProxy> all() {
        List<FaultProxy> out = new ArrayList<>(byNode.values());
        out.add(vip);
        return out;
    }

    /** Moves the VIP to a node: new connections go there, as after keepalived or HAProxy notice a failover. */
    public void pointVipAt(DbNode node) {
        vip.upstream(node.host(), node.port());
    }

    public boolean vipPointsAt(DbNode node) {
        return vip.upstreamHost().equals(node.host()) && vip.upstreamPort() == node.port();
    }

    /** Every toxic removed, every proxy listening. */
    public void healAll() {
        all().forEach(FaultProxy::reset);
    }

    @Override
    public void close() {
        all().forEach(FaultProxy::close);
    }
}
