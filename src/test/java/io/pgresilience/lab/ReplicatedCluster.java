package io.pgresilience.lab;

import io.pgresilience.support.Wait;
import io.pgresilience.support.LabException;


import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A primary and a streaming standby, whatever runs them: roles read from the servers, never assumed; repair after
 * any scenario; switchover; synchronous replication. The labs differ only in how they start and rebuild a node.
 */
public abstract class ReplicatedCluster<N extends ReplicatingNode> implements DbCluster {

    protected final List<N> nodes;
    protected final ReplicationRoute route;
    protected final Deadlines deadlines;
    private boolean synchronous;

    protected ReplicatedCluster(List<N> nodes, ReplicationRoute route, Deadlines deadlines) {
        this.nodes = nodes;
        this.route = route;
        this.deadlines = deadlines;
    }

    @Override
    public DbNode primary() {
        return writable().stream().max(Comparator.comparingInt(DbNode::timeline))
                .orElseThrow(() -> new LabException("no node of the lab accepts writes: " + states()));
    }

    @Override
    public DbNode standby() {
        DbNode primary = primary();
        return nodes.stream().filter(n -> n != primary).findFirst().orElseThrow();
    }

    @Override
    public List<DbNode> nodes() {
        return List.copyOf(nodes);
    }

    @Override
    public boolean synchronous() {
        return synchronous;
    }

    /** "primary node1@... + streaming standby node2@... (asynchronous replication)", or the nodes' states. */
    protected String roles() {
        try {
            return "primary " + primary() + " + streaming standby " + standby() + " (" + (synchronous ? "synchronous" : "asynchronous")
                    + " replication)";
        } catch (LabException e) {
            return states();
        }
    }

    /** What a lab does before its repair (e.g. put its HA manager back in charge); nothing by default. */
    protected void beforeRepair() {
    }

    @Override
    public void ensureHealthy() {
        beforeRepair();
        List<N> writable = writable();
        if (writable.isEmpty()) {
            // A scenario stopped the primary and failed before starting it again: start what is down.
            nodes.stream().filter(n -> !n.isRunning()).forEach(this::startQuietly);
            writable = writable();
        }
        if (writable.isEmpty()) {
            Optional<N> standby = nodes.stream().filter(DbNode::isRunning).findFirst();
            if (standby.isEmpty()) {
                throw new LabException("no node of the lab could be started: " + states());
            }
            standby.get().promote();
            writable = writable();
        }
        N primary = writable.stream().max(Comparator.comparingInt(DbNode::timeline)).orElseThrow();
        setSynchronous(primary, false);
        for (N node : nodes) {
            if (node != primary && !healthyStandbyOf(primary, node)) {
                rebuild(node, primary);
            }
        }
        N standby = nodes.stream().filter(n -> n != primary).findFirst().orElseThrow();
        primary.waitForCatchup(standby);
        // Every scenario starts from the same lab: node1 primary, first in the gateway's multi-host URL.
        if (primary != nodes.get(0)) {
            switchoverTo(nodes.get(0));
        }
    }

    @Override
    public void switchoverTo(DbNode target, Runnable whenPromoted) {
        DbNode primary = primary();
        if (target == primary) {
            return;
        }
        // A clean switchover: the old primary shuts down first, so the standby has every byte before promotion.
        primary.stop(StopMode.FAST);
        target.promote();
        target.pollQueryUntil("postgres", "SELECT pg_is_in_recovery()", "f");
        whenPromoted.run();
        rebuild(nodeOf(primary), nodeOf(target));
        target.waitForCatchup(primary);
    }

    @Override
    public void synchronousReplication(boolean on) {
        DbNode primary = primary();
        setSynchronous(primary, on);
        if (on) {
            primary.pollQueryUntil("postgres", "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'", "1");
        }
    }

    /** Makes the node a streaming standby of the primary and waits until it streams. */
    protected void rebuild(N node, N primary) {
        node.rebuildAsStandbyOf(primary, route.to(primary));
        awaitStreaming(primary, node, deadlines.operation());
    }

    private void setSynchronous(DbNode primary, boolean on) {
        applySynchronous(primary, on);
        synchronous = on;
    }

    /** Turns synchronous replication on or off on the primary (synchronous_standby_names, unless a manager owns it). */
    protected void applySynchronous(DbNode primary, boolean on) {
        primary.execute("postgres", "ALTER SYSTEM SET synchronous_standby_names = '" + (on ? "*" : "") + "'");
        primary.execute("postgres", "SELECT pg_reload_conf()");
    }

    /** Running, replaying (not paused, no apply delay) and streaming from this primary. */
    private boolean healthyStandbyOf(N primary, N node) {
        if (!node.isRunning()) {
            return false;
        }
        try {
            if (!node.isInRecovery()) {
                return false; // a second writable node: the stale side of a split brain
            }
            if ("t".equals(node.query("postgres", "SELECT pg_is_wal_replay_paused()"))) {
                node.execute("postgres", "SELECT pg_wal_replay_resume()");
            }
            if (!"0".equals(node.query("postgres", "SELECT setting FROM pg_settings WHERE name = 'recovery_min_apply_delay'"))) {
                node.execute("postgres", "ALTER SYSTEM RESET recovery_min_apply_delay");
                node.execute("postgres", "SELECT pg_reload_conf()");
            }
            awaitStreaming(primary, node, Duration.ofSeconds(5));
            return true;
        } catch (RuntimeException | AssertionError e) {
            return false; // not streaming (yet): e.g. its HA manager is still rewinding it; rebuilt below
        }
    }

    protected void awaitStreaming(DbNode primary, DbNode standby, Duration within) {
        try {
            Wait.until(standby.name() + " streams from " + primary.name(), within, deadlines.poll(),
                    () -> "1".equals(primary.query("postgres", "SELECT count(*) FROM pg_stat_replication WHERE "
                            + "application_name = '" + standby.name() + "' AND state = 'streaming'")), Boolean.TRUE::equals);
        } catch (AssertionError notStreaming) {
            // "not within N ms" alone does not say why: the standby's own last complaint usually does.
            String why = lastComplaint(standby.log());
            throw why == null ? notStreaming : new AssertionError(notStreaming.getMessage() + "; " + standby.name()
                    + "'s log says: " + why, notStreaming);
        }
    }

    /** The last FATAL or ERROR line of a server log, or null. */
    static String lastComplaint(String log) {
        String last = null;
        for (String line : log.split("\\R")) {
            if (line.contains("FATAL:") || line.contains("ERROR:")) {
                last = line.strip();
            }
        }
        return last == null || last.length() <= 300 ? last : last.substring(0, 300) + "…";
    }

    private List<N> writable() {
        List<N> out = new ArrayList<>();
        for (N n : nodes) {
            try {
                if (n.isRunning() && !n.isInRecovery()) {
                    out.add(n);
                }
            } catch (RuntimeException e) {
                // starting up or shutting down: not writable now
            }
        }
        return out;
    }

    private N nodeOf(DbNode node) {
        return nodes.stream().filter(n -> n == node).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(node + " is not a node of this cluster"));
    }

    private void startQuietly(N node) {
        try {
            node.start();
        } catch (LabException e) {
            // ensureHealthy rebuilds it
        }
    }

    protected String states() {
        StringBuilder sb = new StringBuilder();
        for (N n : nodes) {
            sb.append(n).append(n.isRunning() ? " running" : " stopped").append("; ");
        }
        return sb.toString();
    }
}
