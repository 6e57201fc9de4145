package io.pgresilience.faults;

import io.pgresilience.lab.ReplicationRoute;
import java.net.InetSocketAddress;
import io.pgresilience.lab.DbCluster;
import io.pgresilience.lab.DbNode;
import io.pgresilience.lab.Pooler;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The only ways from the gateway to the database: one fault proxy in front of each node (what a multi-host
 * URL lists) and a "vip" proxy that follows the primary (the VIP/HAProxy a single-host gateway needs), itself routed
 * through the node's proxy; plus the replication link between the nodes.
 */
public final class LabNetwork implements AutoCloseable {

    private final Map<String, FaultProxy> byNode = new LinkedHashMap<>();
    private final ProxyMaker maker;
    private final FaultProxy replication;
    private final InetAddress listen;
    private final String seenAs;
    private FaultProxy vip;
    private Pooler pooler;
    private FaultProxy toPooler;
    private final Map<String, FaultProxy> replicationInto = new LinkedHashMap<>();
    private DbCluster cluster;

    /**
     * The replication link exists before the cluster (the standby is built to stream through it); the gateway's
     * links are added once the nodes exist, by {@link #inFrontOf}.
     *
     * @param listen where the proxies listen
     * @param seenAs the host name under which the gateway (and a standby) reach them
     */
    private LabNetwork(InetAddress listen, String seenAs, ProxyMaker maker) {
        this.listen = listen;
        this.seenAs = seenAs;
        this.maker = maker;
        this.replication = maker.start("replication", listen, "127.0.0.1", 1);
    }

    /** Proxies on loopback, for gateways and standbys that run on this host. */
    public static LabNetwork onLoopback(ProxyMaker maker) {
        return new LabNetwork(InetAddress.getLoopbackAddress(), "127.0.0.1", maker);
    }

    /** Proxies on every interface, reached from containers under the given host name (e.g. host.containers.internal). */
    public static LabNetwork forContainers(String hostAsSeenFromContainers, ProxyMaker maker) {
        return new LabNetwork(new InetSocketAddress(0).getAddress(), hostAsSeenFromContainers, maker);
    }

    /** What makes this network's proxies and where the gateway reaches them, for the run context. */
    public String proxies() {
        InetSocketAddress seen = maker.addressInLab(replication, seenAs);
        return maker.describe() + (seenAs.equals("127.0.0.1") ? "" : "; reached from the lab's containers at "
                + seen.getHostString());
    }

    /** host:port of a proxy as the gateway must write it in its database URL. */
    public String addressForGateway(FaultProxy proxy) {
        InetSocketAddress a = maker.addressInLab(proxy, seenAs);
        return a.getHostString() + ":" + a.getPort();
    }

    /** The route a standby streams through: the replication proxy, pointed at the primary it is built from. */
    public ReplicationRoute replicationRoute() {
        return primary -> {
            replication.upstream(primary.host(), primary.port());
            return maker.addressInLab(replication, seenAs);
        };
    }

    /**
     * A replication link in front of one node, for labs where the standby streams from wherever its HA manager says the
     * leader is (Patroni's connect_address): returns where the others reach the node through it.
     */
    public InetSocketAddress replicationEntryTo(String nodeName, String host, int port) {
        FaultProxy p = maker.start("replication-to-" + nodeName, listen, host, port);
        replicationInto.put(nodeName, p);
        return maker.addressInLab(p, seenAs);
    }

    /** The link the standby streams through now (for faults on replication): into the current primary. */
    public FaultProxy replicationLink() {
        if (replicationInto.isEmpty()) {
            return replication;
        }
        FaultProxy p = replicationInto.get(cluster.primary().name());
        if (p == null) {
            throw new IllegalStateException("no replication link in front of " + cluster.primary().name());
        }
        return p;
    }

    /** Whether healing a partition delivers what was sent into it (kernel faults), or it was swallowed (a proxy). */
    public boolean healDeliversWhatWasSentIntoIt() {
        return maker.healDeliversWhatWasSentIntoIt();
    }

    /** Why a node cannot be cut off from the rest of the lab with this fault engine, if it cannot. */
    public java.util.Optional<String> whyNoIsolation() {
        return maker.whyNoIsolation();
    }

    /**
     * The node cut off from every other host of the lab and from the gateway (true), or back (false).
     *
     * @return what stands now, in the fault engine's words
     */
    public List<String> setIsolated(DbNode node, boolean isolated) {
        return maker.setIsolated(node.host(), isolated);
    }

    /** Every replication link, whichever node leads. */
    public List<FaultProxy> replicationLinks() {
        List<FaultProxy> out = new ArrayList<>(replicationInto.values());
        out.add(replication);
        return out;
    }

    /** Adds a proxy in front of every node, and the VIP in front of the primary. */
    public LabNetwork inFrontOf(DbCluster cluster) {
        this.cluster = cluster;
        for (DbNode node : cluster.nodes()) {
            byNode.put(node.name(), maker.start("to-" + node.name(), listen, node.host(), node.port()));
        }
        DbNode primary = cluster.primary();
        FaultProxy first = proxyFor(primary);
        vip = maker.start("vip", listen, first.listenHost(), first.listenPort());
        return this;
    }

    /**
     * Puts a pooler between the gateway and the primary: the gateway reaches it through a proxy of its own (the
     * gateway ↔ pooler hop), and it reaches the primary through the primary's proxy (the pooler ↔ database hop, where
     * the faults on a node act). Owned by the network from here on.
     */
    public LabNetwork behind(Pooler p, DbNode primary) {
        this.pooler = p;
        FaultProxy first = proxyFor(primary);
        p.pointAt(first.listenHost(), first.listenPort());
        this.toPooler = maker.start("to-pooler", listen, p.host(), p.port());
        return this;
    }

    /** The pooler in front of the primary, if the deployment has one. */
    public java.util.Optional<Pooler> pooler() {
        return java.util.Optional.ofNullable(pooler);
    }

    /** The link between the gateway and the pooler (none without a pooler). */
    public java.util.Optional<FaultProxy> poolerLink() {
        return java.util.Optional.ofNullable(toPooler);
    }

    /**
     * What the gateway's database URL lists: every node's proxy (a multi-host URL) or the VIP alone; behind a pooler,
     * the pooler alone (there is one address: a multi-host URL means nothing there).
     */
    public List<FaultProxy> entryForGateway(boolean multiHost) {
        if (toPooler != null) {
            return List.of(toPooler);
        }
        return multiHost ? nodeProxies() : List.of(vip);
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
        if (vip != null) {
            out.add(vip);
        }
        if (toPooler != null) {
            out.add(toPooler);
        }
        out.addAll(replicationInto.values());
        out.add(replication);
        return out;
    }

    /**
     * Moves the VIP to a node, as keepalived or HAProxy do after a failover. The VIP routes through the node's own
     * proxy, so a fault on the path to a node stays with that node when the VIP moves away from it.
     */
    public String pointVipAt(DbNode node) {
        FaultProxy p = proxyFor(node);
        vip.upstream(p.listenHost(), p.listenPort());
        if (pooler != null) {
            pooler.pointAt(p.listenHost(), p.listenPort());
            return pooler.poolsTransactions() ? "PgBouncer is re-pointed at " + node.name() + " (config reload)"
                    : "HAProxy routes to " + node.name() + " (its health check on Patroni)";
        }
        return "the VIP proxy now points at " + node.name();
    }

    /** Every toxic removed, every proxy listening. */
    public void healAll() {
        all().forEach(FaultProxy::reset);
    }

    @Override
    public void close() {
        try {
            if (pooler != null) {
                pooler.close();
            }
        } finally {
            all().forEach(FaultProxy::close);
            maker.close();
        }
    }
}
