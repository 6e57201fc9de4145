package io.pgresilience.world;

import java.time.Duration;
import org.awaitility.Awaitility;
import io.pgresilience.evidence.Evidence;
import io.pgresilience.evidence.History;
import io.pgresilience.lab.DbNode;
import io.pgresilience.lab.StopMode;
import io.pgresilience.run.Lease;
import io.pgresilience.run.Run;
import java.util.List;
import io.pgresilience.faults.Direction;
import io.pgresilience.faults.FaultProxy;
import io.pgresilience.faults.Toxic;
import io.pgresilience.faults.ToxicType;

/**
 * Faults a scenario injects (a PicoContainer world object). Each one is written into the evidence as the start
 * or end of the fault window. After every scenario the network is healed; the lab is repaired before the next.
 */
public final class Faults {

    private final Run session;
    private final Evidence evidence;

    public Faults(Evidence evidence, Lease lease) {
        this.evidence = evidence;
        this.session = lease.run();
    }

    /** The proxy on the path from the gateway to a node (directly, or behind the VIP when it points there). */
    public List<FaultProxy> gatewayLinksTo(DbNode node) {
        return List.of(session.network().proxyFor(node));
    }

    /** Every way from the gateway to the database. */
    public List<FaultProxy> allGatewayLinks() {
        return session.network().nodeProxies();
    }

    public void stop(DbNode node, StopMode mode) {
        evidence.outage("pg_ctl stop -m " + mode.pgCtl() + " on " + node.name());
        node.stop(mode);
        // Until the stop returns the node may still acknowledge writes: outages are measured from here.
        evidence.event(History.DOWN, node.name() + " is down");
    }

    public void start(DbNode node) {
        node.start();
        evidence.heal("pg_ctl start on " + node.name());
    }

    public void restart(DbNode node) {
        evidence.fault("pg_ctl restart on " + node.name());
        node.restart();
        evidence.heal(node.name() + " accepts connections again");
    }

    /** enabled=false on every link: connections refused, open ones dropped. */
    public void makeUnreachable() {
        evidence.outage("proxy enabled=false: the database refuses connections and drops open ones");
        allGatewayLinks().forEach(FaultProxy::disable);
    }

    public void makeReachable() {
        allGatewayLinks().forEach(FaultProxy::enable);
        evidence.heal("proxy enabled=true");
    }

    /** A blackhole both ways (timeout=0): packets vanish, sockets stay open. */
    public void partition(DbNode node) {
        evidence.outage("partition: timeout=0 upstream and downstream between gateway and " + node.name());
        for (FaultProxy p : gatewayLinksTo(node)) {
            p.addToxic(Toxic.timeout(Direction.UPSTREAM, 0).named("partition_up"));
            p.addToxic(Toxic.timeout(Direction.DOWNSTREAM, 0).named("partition_down"));
        }
    }

    public void healPartition() {
        for (FaultProxy p : session.network().all()) {
            p.toxics().stream().filter(t -> t.name().startsWith("partition")).forEach(t -> p.removeToxic(t.name()));
        }
        evidence.heal("partition removed");
    }

    public void latency(DbNode node, long ms, boolean startsFault) {
        String what = "latency " + ms + " ms downstream between gateway and " + node.name();
        if (startsFault) {
            evidence.outage(what);
        } else {
            evidence.event("latency", what);
        }
        for (FaultProxy p : gatewayLinksTo(node)) {
            p.toxics().stream().filter(t -> t.type() == ToxicType.LATENCY).forEach(t -> p.removeToxic(t.name()));
            p.addToxic(Toxic.latency(Direction.DOWNSTREAM, ms, 0));
        }
    }

    public void removeLatency() {
        for (FaultProxy p : session.network().all()) {
            p.toxics().stream().filter(t -> t.type() == ToxicType.LATENCY).forEach(t -> p.removeToxic(t.name()));
        }
        evidence.heal("latency removed");
    }

    /** reset_peer on the gateway's links to the node: every open connection gets a TCP RST; then removed. */
    public void resetConnections(DbNode node, Duration within) {
        List<FaultProxy> links = gatewayLinksTo(node);
        evidence.fault("reset_peer (TCP RST) on the gateway's connections to " + node.name());
        links.forEach(p -> p.addToxic(Toxic.resetPeer(Direction.DOWNSTREAM, 0).named("reset")));
        Awaitility.await("every proxied connection to " + node.name() + " is reset")
                .atMost(within)
                .pollInterval(Duration.ofMillis(10))
                .until(() -> links.stream().allMatch(p -> p.connectionCount() == 0));
        links.forEach(p -> p.removeToxic("reset"));
        evidence.heal("reset_peer removed");
    }

    public List<Integer> terminateGatewayBackends(DbNode node, boolean startsFault) {
        if (startsFault) {
            evidence.fault("pg_terminate_backend on every session of the gateway on " + node.name());
        }
        List<Integer> pids = node.terminateClientBackends(session.target().databaseRole());
        if (startsFault) {
            evidence.heal("terminated " + pids.size() + " backends");
        } else {
            evidence.event("recycled", "terminated " + pids.size() + " gateway backends on " + node.name());
        }
        return pids;
    }

    /** A blackhole on the link the standby streams through: the primary goes on alone. */
    public void breakReplication() {
        evidence.event(History.DEGRADED, "timeout=0 both ways on the replication link: the standby receives nothing");
        FaultProxy link = session.network().replicationLink();
        link.addToxic(Toxic.timeout(Direction.UPSTREAM, 0).named("replication_cut_up"));
        link.addToxic(Toxic.timeout(Direction.DOWNSTREAM, 0).named("replication_cut_down"));
    }

    /** Undo every network fault; called after each scenario, also a failed one. */
    public void healAll() {
        FaultProxy replication = session.network().replicationLink();
        boolean cut = replication.toxics().stream().anyMatch(t -> t.type() == ToxicType.TIMEOUT);
        session.network().healAll();
        if (cut) {
            // The blackhole dropped bytes of the WAL stream: the standby would wait for the rest until its
            // wal_receiver_timeout. Closing the link's connections lets it reconnect at once.
            replication.disable();
            replication.enable();
        }
    }
}
