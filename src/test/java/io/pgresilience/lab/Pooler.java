package io.pgresilience.lab;

import java.util.Map;

/**
 * A connection pooler between the gateway and the primary (PgBouncer): the gateway connects to it, it connects to the
 * database. On a failover it is re-pointed at the new primary, the way an operator (or an operator's controller) does.
 */
public interface Pooler extends AutoCloseable {

    /** Where the pooler listens on this host. */
    String host();

    int port();

    /** Sends its server connections to this address from now on (a config reload; server connections are renewed). */
    void pointAt(String host, int port);

    /** Its settings, every value, for the run context. */
    Map<String, String> settings();

    /** Its own secrets (e.g. an admin password), for the scan that keeps them out of logs and reports. */
    default Map<String, String> secrets() {
        return Map.of();
    }

    /** The name and version, for the run context. */
    String describe();

    @Override
    void close();
}
