package io.pgresilience.world;

import java.util.HashMap;
import java.util.Map;
import io.pgresilience.run.Lease;
import io.pgresilience.run.Run;
import java.util.ArrayList;
import java.util.List;
import io.pgresilience.lab.DbCluster;
import io.pgresilience.lab.DbNode;
import io.pgresilience.lab.GatewaySessions;
import io.pgresilience.lab.OutsideSession;

/**
 * The scenario's hold on the lab (a PicoContainer world object): the cluster, sessions opened outside the
 * gateway (closed after every scenario, whatever happened) and what the nodes see of the gateway.
 */
public final class LabWorld {

    private final Run session;
    private final List<OutsideSession> outside = new ArrayList<>();
    private final Map<String, Integer> logOffsets = new HashMap<>();
    private DbNode oldPrimary;

    public LabWorld(Lease lease) {
        this.session = lease.run();
    }

    /** Remembers where each node's log stands as the scenario begins. */
    public void markLogs() {
        for (DbNode n : session.cluster().nodes()) {
            logOffsets.put(n.name(), n.log().length());
        }
        poolerLogOffset = network().pooler().map(p -> p.log().length()).orElse(0);
    }

    private int poolerLogOffset;

    /** What the pooler (PgBouncer) logged since this scenario began; empty without one or where it keeps no log. */
    public String poolerLogSinceScenarioStart() {
        String log = network().pooler().map(io.pgresilience.lab.Pooler::log).orElse("");
        return log.substring(Math.min(poolerLogOffset, log.length()));
    }

    /** What the node's server log says since this scenario began. */
    public String logSinceScenarioStart(DbNode node) {
        String log = node.log();
        return log.substring(Math.min(logOffsets.getOrDefault(node.name(), 0), log.length()));
    }

    public DbCluster cluster() {
        return session.cluster();
    }

    public DbNode primary() {
        return cluster().primary();
    }

    public DbNode standby() {
        return cluster().standby();
    }

    /** How many standbys stream from the primary now. */
    public int standbysStreaming() {
        return Integer.parseInt(primary().query("postgres", "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"));
    }

    /** The primary the scenario started with, remembered before a failover changes roles. */
    public DbNode oldPrimary() {
        if (oldPrimary == null) {
            throw new IllegalStateException("no primary was remembered before the fault");
        }
        return oldPrimary;
    }

    public void rememberPrimary(DbNode node) {
        this.oldPrimary = node;
    }

    /** The single host the gateway is given now leads to the node (the VIP's proxy is re-pointed). */
    public String pointVipAt(DbNode node) {
        return session.network().pointVipAt(node);
    }

    /** The proxies between the gateway and the database (a pooler or router, its link), for faults on that hop. */
    public io.pgresilience.faults.LabNetwork network() {
        return session.network();
    }

    public GatewaySessions gatewaySessionsOn(DbNode node) {
        return new GatewaySessions(node, cluster().database(), session.target().databaseRole());
    }

    public GatewaySessions onPrimary() {
        return gatewaySessionsOn(primary());
    }

    public OutsideSession outsideSession() {
        OutsideSession s = OutsideSession.open(primary(), cluster().database());
        outside.add(s);
        return s;
    }

    /** Whether this scenario opened an outside session (its own lock may already hold a request inside the database). */
    public boolean hasOutsideSession() {
        return !outside.isEmpty();
    }

    /** The newest outside session; the steps' "the outside session". */
    public OutsideSession lastOutsideSession() {
        if (outside.isEmpty()) {
            throw new IllegalStateException("no outside session was opened in this scenario");
        }
        return outside.get(outside.size() - 1);
    }

    /** After every scenario: no outside lock may outlive it. */
    public void closeOutsideSessions() {
        outside.forEach(OutsideSession::close);
        outside.clear();
    }
}
