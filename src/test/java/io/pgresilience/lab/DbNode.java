package io.pgresilience.lab;


import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * One PostgreSQL server of the lab, with small verbs in the manner of PostgreSQL's own
 * {@code PostgreSQL::Test::Cluster}. The suite talks to a node directly (never through a fault proxy)
 * to set up, observe and judge; the gateway reaches it only through the proxies.
 */
public interface DbNode {

    String name();

    /** Where a fault proxy (or anything outside the gateway) reaches this node. */
    String host();

    int port();

    void start();

    void stop(StopMode mode);

    void restart();

    /** Ends recovery: this standby becomes a primary on a new timeline. */
    void promote();

    /** Who promoted it, for the evidence: "by pg_ctl promote", or the HA manager's own log line. */
    default String howPromoted() {
        return "by pg_ctl promote";
    }

    boolean isRunning();

    boolean isInRecovery();

    /** The timeline this node writes (a primary) or replays (a standby). */
    int timeline();

    /** A direct superuser connection to a database of this node. */
    Connection connect(String database) throws SQLException;

    /** The first column of the first row, as text; null when there is no row. */
    String query(String database, String sql);

    /** Runs a statement that returns nothing. */
    void execute(String database, String sql);

    /** Polls until the query returns the expected text, within the lab's deadline (PostgreSQL's poll_query_until). */
    void pollQueryUntil(String database, String sql, String expected);

    /** Waits until the standby has replayed everything this primary has written so far. */
    void waitForCatchup(DbNode standby);

    /** Terminates the client backends of a role (pg_terminate_backend); returns their PIDs. */
    List<Integer> terminateClientBackends(String role);

    /** This node's server log so far (for a failed scenario's attachments). */
    String log();
}
