package io.pgresilience.lab;

import java.util.Map;
import java.util.List;

/**
 * The lab's database: a primary and a streaming standby (embedded processes or containers). Steps and
 * targets see only this interface and {@link DbNode}, never which kind of lab runs.
 */
public interface DbCluster extends AutoCloseable {

    /** The running node that accepts writes (on a split brain: the one on the highest timeline). */
    DbNode primary();

    /** The node that is not the primary. */
    DbNode standby();

    List<DbNode> nodes();

    /** The database the gateway uses, its role and that role's password (a per-run secret). */
    String database();

    String gatewayRole();

    String gatewayPassword();

    /**
     * Brings the lab back to a running primary with a streaming, caught-up, asynchronous standby whose replay
     * runs, whatever the last scenario did; rebuilds a node from a fresh backup when it must.
     */
    void ensureHealthy();

    /** Makes the node the primary (a planned switchover) and the other its standby. */
    default void switchoverTo(DbNode node) {
        switchoverTo(node, () -> { });
    }

    /**
     * A planned switchover; {@code whenPromoted} runs as soon as the node accepts writes (e.g. the VIP moves), before the
     * old primary has been made its standby.
     */
    void switchoverTo(DbNode node, Runnable whenPromoted);

    /** Synchronous replication to the standby (synchronous_standby_names = '*'), or asynchronous. */
    void synchronousReplication(boolean on);

    boolean synchronous();


    String postgresVersion();

    /**
     * Why a crash of the primary after the replication link broke cannot be failed over in this lab, if it cannot (an HA
     * manager that promotes only a synchronous standby it can still reach).
     */
    default java.util.Optional<String> whyNoFailoverAfterReplicationBreaks() {
        return java.util.Optional.empty();
    }

    /** Why this lab cannot have two writable nodes at once, if it cannot (an HA manager that fences). */
    default java.util.Optional<String> whyNoSplitBrain() {
        return java.util.Optional.empty();
    }

    /** The HA manager that keeps this cluster (elects a primary, fences a lost one), in one line, if one does. */
    default java.util.Optional<String> haManager() {
        return java.util.Optional.empty();
    }

    /**
     * The lab defect {@code ha-manager-hangs}: from now on, a node cut off from the rest of the cluster has its HA manager
     * hang (what an HA manager's watchdog guards against), so it cannot fence its own server.
     */
    default void haManagerHangsWhenCutOff() {
        throw new UnsupportedOperationException("no HA manager keeps this lab (-Dtopology=patroni has one)");
    }

    /** Whether the lab defect {@code ha-manager-hangs} is on. */
    default boolean haManagerHangs() {
        return false;
    }

    /** The HA manager of the node hangs (true) or goes on (false). */
    default void setHaManagerFrozen(DbNode node, boolean frozen) {
        throw new UnsupportedOperationException("no HA manager keeps this lab");
    }

    /** One line for reports: nodes, roles, replication mode. */
    String topology();

    /** The lab's passwords by name, so that the run can prove none of them leaked into its output. */
    Map<String, String> secrets();

    /** Stops every node and removes its data. */
    @Override
    void close();
}
