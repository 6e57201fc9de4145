package io.pgresilience.lab;

import java.util.Map;
import java.util.function.Consumer;

/**
 * A hop between the gateway and the primary: a connection pooler (PgBouncer), re-pointed at the new primary on a failover
 * the way an operator does, or a router that follows the HA manager's leader by itself (HAProxy in front of Patroni).
 * The gateway connects to it, it connects to the database.
 */
public interface Pooler extends AutoCloseable {

    /** Where the pooler listens on this host. */
    String host();

    int port();

    /**
     * Sends its server connections to this address from now on (a config reload; server connections are renewed), or,
     * for a router that follows the leader by itself, waits until it does.
     */
    void pointAt(String host, int port);

    /** Whether it hands server connections to other clients between transactions (transaction pooling). */
    default boolean poolsTransactions() {
        return false;
    }

    /** Its settings, every value, for the run context. */
    Map<String, String> settings();

    /** Its own secrets (e.g. an admin password), for the scan that keeps them out of logs and reports. */
    default Map<String, String> secrets() {
        return Map.of();
    }

    /**
     * Who hears of it exiting on its own (a crash; how it was restarted, if it was): the scenario's evidence. The last
     * listener set wins.
     */
    default void onExit(Consumer<String> report) {
    }

    /** Whether its process is alive (a lab check before each scenario). */
    default boolean isRunning() {
        return true;
    }

    /** What it has logged so far (empty where it keeps no log of its own), for a failed scenario's attachments. */
    default String log() {
        return "";
    }

    /** What it is, in one word (PgBouncer, HAProxy), for the reasons and evidence that name the hop. */
    String kind();

    /** The name and version, for the run context. */
    String describe();

    @Override
    void close();
}
