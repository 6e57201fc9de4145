package io.pgresilience.world;

import java.time.Duration;
import io.pgresilience.support.Wait;
import io.pgresilience.evidence.Evidence;
import io.pgresilience.evidence.History;
import io.pgresilience.lab.DbNode;
import io.pgresilience.lab.StopMode;
import io.pgresilience.run.Lease;
import io.pgresilience.run.Run;
import io.pgresilience.lab.OutsideSession;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import io.pgresilience.faults.CommitCut;
import io.pgresilience.faults.CommitCutter;
import io.pgresilience.faults.Direction;
import io.pgresilience.faults.FaultProxy;
import io.pgresilience.faults.Toxic;
import io.pgresilience.faults.ToxicType;

/**
 * Faults a scenario injects (a PicoContainer world object): the only way steps break the lab. Each verb writes its
 * event into the evidence (the start or end of the fault window) and registers its undo; when the scenario ends,
 * whatever happened, {@link #undoAll} runs the undos newest first (as Patroni's after-hooks close their closables),
 * then heals the network as a safety net. What an undo cannot restore (a promoted standby) the lab repairs before
 * the next scenario.
 */
public final class Faults {

    /** What undoes one fault. */
    private record Undo(String what, Runnable action) {
    }

    private final Run session;
    private final Evidence evidence;
    private final LabWorld lab;
    private final Deque<Undo> undos = new ArrayDeque<>();

    public Faults(Evidence evidence, Lease lease, LabWorld lab) {
        this.evidence = evidence;
        this.session = lease.run();
        this.lab = lab;
    }

    private void onEnd(String what, Runnable action) {
        undos.push(new Undo(what, action));
    }

    /**
     * Undoes every fault of the scenario, newest first, then heals the whole network; an undo that fails does not stop
     * the others. Returns what could not be undone, for the scenario's report.
     */
    public List<String> undoAll() {
        List<String> failed = new ArrayList<>();
        while (!undos.isEmpty()) {
            Undo u = undos.pop();
            try {
                u.action().run();
            } catch (RuntimeException e) {
                failed.add(u.what() + ": " + e.getMessage());
            }
        }
        lab.closeOutsideSessions();
        healAll();
        return failed;
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
        startAgainAtEnd(node);
        node.stop(mode);
        // Until the stop returns the node may still acknowledge writes: outages are measured from here.
        evidence.event(History.DOWN, node.name() + " is down");
    }

    /** When the scenario ends, a node it stopped is started again, unless another has become the primary. */
    private void startAgainAtEnd(DbNode node) {
        onEnd("start " + node.name() + " again", () -> {
            // Not when another node has become the primary: the lab rebuilds this one as its standby instead.
            boolean replaced = session.cluster().nodes().stream().anyMatch(n -> n != node && n.isRunning() && !n.isInRecovery());
            if (!node.isRunning() && !replaced) {
                node.start();
            }
        });
    }

    public void start(DbNode node) {
        heal("pg_ctl start on " + node.name(), node::start);
    }

    public void restart(DbNode node) {
        Duration down = session.restartDowntime();
        if (down.isZero()) {
            evidence.fault("pg_ctl restart on " + node.name());
            node.restart();
        } else {
            // As the deployment's own restart goes (a container's stop and start): the database stays down that long.
            evidence.fault("pg_ctl stop -m fast on " + node.name() + ", started again once it has been down "
                    + down.toMillis() + " ms");
            startAgainAtEnd(node);
            node.stop(StopMode.FAST);
            evidence.event(History.DOWN, node.name() + " is down");
            long since = System.nanoTime();
            Wait.until(node.name() + " stays down " + down.toMillis() + " ms", down.plusSeconds(1), Duration.ofMillis(10),
                    () -> System.nanoTime() - since >= down.toNanos(), Boolean.TRUE::equals);
            node.start();
        }
        evidence.heal(node.name() + " accepts connections again");
    }

    /** enabled=false on every link: connections refused, open ones dropped. */
    public void makeUnreachable() {
        evidence.outage("proxy enabled=false: the database refuses connections and drops open ones");
        onEnd("the database reachable again", () -> allGatewayLinks().forEach(FaultProxy::enable));
        allGatewayLinks().forEach(FaultProxy::disable);
        madeBy(allGatewayLinks());
    }

    public void makeReachable() {
        heal("proxy enabled=true", () -> allGatewayLinks().forEach(FaultProxy::enable));
    }

    /** A blackhole both ways (timeout=0): packets vanish, sockets stay open. */
    public void partition(DbNode node) {
        onEnd("the partition removed", this::removePartitions);
        for (FaultProxy p : gatewayLinksTo(node)) {
            p.addToxic(Toxic.timeout(Direction.UPSTREAM, 0).named("partition_up"));
            p.addToxic(Toxic.timeout(Direction.DOWNSTREAM, 0).named("partition_down"));
        }
        // Marked once it stands (a kernel rule takes a moment to): a partition only holds requests, so none ends because
        // of it before the mark, and a request begun before it was sent to a reachable node.
        evidence.outage("partition: timeout=0 upstream and downstream between gateway and " + node.name());
        madeBy(gatewayLinksTo(node));
    }

    /** Where the kernel made the fault, what it holds now, in its own words (the proxies' faults are said above). */
    private void madeBy(List<FaultProxy> links) {
        for (FaultProxy p : links) {
            if (p instanceof io.pgresilience.faults.kernel.KernelLink k) {
                k.madeBy().forEach(line -> evidence.event("kernel", line));
            }
        }
    }

    /**
     * A blackhole both ways on the hop between the gateway and its pooler or router (PgBouncer, HAProxy): the gateway is
     * cut off while the database behind that hop stays healthy.
     */
    public void partitionInFrontOfTheDatabase(FaultProxy hop, String what) {
        onEnd("the partition removed", this::removePartitions);
        hop.addToxic(Toxic.timeout(Direction.UPSTREAM, 0).named("partition_up"));
        hop.addToxic(Toxic.timeout(Direction.DOWNSTREAM, 0).named("partition_down"));
        evidence.outage("partition: timeout=0 upstream and downstream between the gateway and " + what);
        madeBy(List.of(hop));
    }

    public void healPartition() {
        heal("partition removal", () -> {
            removePartitions();
            healIsolation();
        });
    }

    private final List<DbNode> isolated = new ArrayList<>();

    /**
     * The node cut off from every other host of the lab — the other nodes, the HA manager's store, the router in front
     * of it, the gateway — both directions, open connections included (a real network partition of one host). With the
     * lab defect {@code ha-manager-hangs}, the node's HA manager hangs at the same moment.
     */
    public void isolate(DbNode node) {
        session.network().whyNoIsolation().ifPresent(why -> {
            throw new org.opentest4j.TestAbortedException("not run with this fault engine: " + why);
        });
        onEnd("the isolation of " + node.name() + " healed", this::healIsolation);
        isolated.add(node);
        List<String> made = session.network().setIsolated(node, true);
        evidence.outage(node.name() + " cut off from every other host of the lab and from the gateway");
        made.forEach(line -> evidence.event("kernel", line));
        if (session.cluster().haManagerHangs()) {
            session.cluster().setHaManagerFrozen(node, true);
            onEnd("the HA manager of " + node.name() + " thawed", () -> session.cluster().setHaManagerFrozen(node, false));
            evidence.event("lab defect", "the HA manager of " + node.name() + " hangs (ha-manager-hangs)");
        }
    }

    private void healIsolation() {
        for (DbNode node : List.copyOf(isolated)) {
            session.network().setIsolated(node, false);
            isolated.remove(node);
        }
    }

    private void removePartitions() {
        for (FaultProxy p : session.network().all()) {
            p.toxics().stream().filter(t -> t.name().startsWith("partition")).forEach(t -> p.removeToxic(t.name()));
        }
    }

    public void latency(DbNode node, long ms, boolean startsFault) {
        String what = "latency " + ms + " ms downstream between gateway and " + node.name();
        if (startsFault) {
            evidence.outage(what);
        } else {
            evidence.event("latency", what);
        }
        onEnd("the latency removed", this::removeLatencies);
        for (FaultProxy p : gatewayLinksTo(node)) {
            p.toxics().stream().filter(t -> t.type() == ToxicType.LATENCY).forEach(t -> p.removeToxic(t.name()));
            try {
                p.addToxic(Toxic.latency(Direction.DOWNSTREAM, ms, 0));
            } catch (UnsupportedOperationException cannot) {
                throw new org.opentest4j.TestAbortedException("not run with this fault engine: " + cannot.getMessage());
            }
        }
        madeBy(gatewayLinksTo(node));
    }

    public void removeLatency() {
        heal("latency removal", this::removeLatencies);
    }

    /**
     * Undoes an outage between its two marks: the heal's beginning, then its end. Undoing acts at once (a removed toxic
     * releases what it held, a started database takes connections before pg_ctl returns), so a request may be answered
     * before the undo is done: the outage ends where the undo begins (the judge's readiness rule reads it so).
     */
    private void heal(String what, Runnable undo) {
        evidence.healing(what + " begins");
        undo.run();
        evidence.heal(what + " done");
    }

    private void removeLatencies() {
        for (FaultProxy p : session.network().all()) {
            p.toxics().stream().filter(t -> t.type() == ToxicType.LATENCY).forEach(t -> p.removeToxic(t.name()));
        }
    }

    /** reset_peer on the gateway's links to the node: every open connection gets a TCP RST; then removed. */
    public void resetConnections(DbNode node, Duration within) {
        resetConnections(node, within, () -> { });
    }

    /**
     * @param onceInPlace run once every connection is reset where the engine resets one that carries nothing at once
     *                    (the in-JVM proxy, the kernel): a request held inside the database and let go here meets the
     *                    reset, its answer cannot slip through before its connection's reset; where the engine resets
     *                    such a connection only when data next flows (Toxiproxy), run as soon as the reset is in place,
     *                    so that the database's answer, once the lock is let go, meets it
     */
    public void resetConnections(DbNode node, Duration within, Runnable onceInPlace) {
        List<FaultProxy> links = gatewayLinksTo(node);
        evidence.fault("reset_peer (TCP RST) on the gateway's connections to " + node.name());
        onEnd("reset_peer removed", () -> links.forEach(p -> p.removeToxic("reset")));
        links.forEach(p -> p.addToxic(Toxic.resetPeer(Direction.DOWNSTREAM, 0).named("reset")));
        madeBy(links);
        Runnable everyReset = () -> Wait.until("every proxied connection to " + node.name() + " is reset", within,
                Duration.ofMillis(10), () -> links.stream().mapToInt(FaultProxy::connectionCount).sum(), open -> open == 0);
        if (links.stream().allMatch(FaultProxy::resetsIdleConnectionsAtOnce)) {
            everyReset.run();
            evidence.event("reset", "every connection of the gateway to " + node.name() + " is reset");
            onceInPlace.run();
        } else {
            onceInPlace.run();
            everyReset.run();
        }
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

    /**
     * The answer to a COMMIT is lost: the gateway's own connection (its first hop: to the node, the VIP or its pooler)
     * carries the next write whose statements name the marker to PostgreSQL, and once PostgreSQL has answered its COMMIT
     * the answer is dropped and the connection reset. Opens the fault window; {@link #commitCutOver} closes it. Skipped,
     * with the reason, where the fault engine cannot read the protocol.
     */
    public CommitCut loseTheAnswerToTheCommitOf(String marker) {
        List<FaultProxy> hops = session.gatewayHops();
        List<CommitCutter> cutters = hops.stream().filter(CommitCutter.class::isInstance).map(CommitCutter.class::cast).toList();
        if (hops.isEmpty() || cutters.size() != hops.size()) {
            throw new org.opentest4j.TestAbortedException("not run with this fault engine: " + CommitCut.CANNOT);
        }
        CommitCut cut = CommitCut.ofWriteCarrying(marker);
        evidence.fault("the gateway's connection (" + hops.stream().map(FaultProxy::name).toList() + ") is to break once "
                + "PostgreSQL has answered the COMMIT of the write of " + marker + ", before that answer reaches the gateway");
        onEnd("the commit cut disarmed", () -> cutters.forEach(c -> c.disarm(cut)));
        cutters.forEach(c -> c.arm(cut));
        return cut;
    }

    /** The write whose COMMIT answer was lost has been answered: the fault window closes. */
    public void commitCutOver(CommitCut cut) {
        heal("the commit cut", () -> session.gatewayHops().stream().filter(CommitCutter.class::isInstance)
                .map(CommitCutter.class::cast).forEach(c -> c.disarm(cut)));
    }

    /** A blackhole on the link the standby streams through: the primary goes on alone. */
    public void breakReplication() {
        evidence.event(History.DEGRADED, "timeout=0 both ways on the replication link: the standby receives nothing");
        FaultProxy link = session.network().replicationLink();
        onEnd("the replication link mended", this::healAll);
        link.addToxic(Toxic.timeout(Direction.UPSTREAM, 0).named("replication_cut_up"));
        link.addToxic(Toxic.timeout(Direction.DOWNSTREAM, 0).named("replication_cut_down"));
        madeBy(List.of(link));
    }

    /**
     * An outside session takes LOCK TABLE ... IN ACCESS EXCLUSIVE MODE and keeps it until released (or the scenario ends).
     * @param startsFault whether this opens the fault window (pool exhaustion), or only holds a request inside the database
     */
    public OutsideSession lockTable(String table, boolean startsFault) {
        OutsideSession s = lab.outsideSession();
        onEnd("the lock on " + table + " released", s::close);
        s.lockTable(table);
        if (startsFault) {
            evidence.fault("an outside session holds LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
        } else {
            evidence.event("held", "an outside session holds LOCK TABLE " + table + ": a request on it waits inside the database");
        }
        return s;
    }

    /** An outside session holds the rows (SELECT ... FOR UPDATE) until released (or the scenario ends). */
    public OutsideSession lockRows(String table, List<String> names, String described) {
        OutsideSession s = lab.outsideSession();
        onEnd("the rows of " + described + " released", s::close);
        s.lockRows(table, names);
        evidence.fault("an outside session holds the rows of " + described + " (SELECT ... FOR UPDATE)");
        return s;
    }

    /**
     * The standby falls behind: the WAL the primary writes no longer reaches it (a blackhole on its replication link), so
     * it applies nothing new. (Pausing its replay would do the same in a plain lab, but an HA manager such as Patroni
     * resumes a paused replay and strips a replay delay from the standby's own settings at once.)
     */
    public void standbyFallsBehind(DbNode standby) {
        FaultProxy link = session.network().replicationLink();
        onEnd("the replication link mended", this::healAll);
        link.addToxic(Toxic.timeout(Direction.UPSTREAM, 0).named("standby_behind_up"));
        link.addToxic(Toxic.timeout(Direction.DOWNSTREAM, 0).named("standby_behind_down"));
        madeBy(List.of(link));
        evidence.fault("the standby " + standby.name() + " receives no WAL: timeout=0 both ways on its replication link");
    }

    /**
     * A client other than the gateway writes to the node (split brain: the old primary still takes writes). The table is
     * the suite's own, so the write works whatever the gateway's schema is; the lab rebuilds the node before the next
     * scenario. Returns whether the node took the write as a primary.
     */
    public boolean writeOutsideTheGateway(DbNode node, String note) {
        node.execute(session.cluster().database(),
                "CREATE TABLE IF NOT EXISTS pg_resilience_split_brain (note text NOT NULL, written_at timestamptz DEFAULT now())");
        node.query(session.cluster().database(), "INSERT INTO pg_resilience_split_brain(note) VALUES ('" + note + "') RETURNING note");
        return !node.isInRecovery();
    }

    /** Undo every network fault; the safety net after each scenario's undos, also of a failed one. */
    public void healAll() {
        List<FaultProxy> cut = session.network().replicationLinks().stream()
                .filter(link -> link.toxics().stream().anyMatch(t -> t.type() == ToxicType.TIMEOUT)).toList();
        session.network().healAll();
        for (FaultProxy replication : cut) {
            // The blackhole dropped bytes of the WAL stream: the standby would wait for the rest until its
            // wal_receiver_timeout. Closing the link's connections lets it reconnect at once.
            replication.disable();
            replication.enable();
        }
    }
}
