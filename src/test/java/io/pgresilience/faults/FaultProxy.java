package io.pgresilience.faults;

import java.util.List;

/**
 * A TCP proxy between the gateway and one database node that can be made toxic, in Toxiproxy's terms.
 * The in-JVM implementation serves machines with no Toxiproxy; an adapter for a real Toxiproxy fits
 * the same interface.
 */
public interface FaultProxy extends AutoCloseable {

    String name();

    /** Where the gateway connects. */
    String listenHost();

    int listenPort();

    String upstreamHost();

    int upstreamPort();

    /** Re-points the proxy at another server (a VIP moving to the new primary): open connections are closed, as
     *  Toxiproxy does when an upstream changes; new ones go to the new server. */
    void upstream(String host, int port);

    /** Toxiproxy's enabled=true: listen again. */
    void enable();

    /** Toxiproxy's enabled=false: refuse new connections and drop the existing ones. */
    void disable();

    boolean enabled();

    void addToxic(Toxic toxic);

    void removeToxic(String toxicName);

    List<Toxic> toxics();

    /** Removes every toxic and enables the proxy. */
    void reset();

    /** Connections currently proxied. */
    int connectionCount();

    /**
     * Whether reset_peer (timeout 0) resets an open connection that carries nothing at once (the in-JVM proxy, the
     * kernel), or only when data next flows on it (Toxiproxy).
     */
    default boolean resetsIdleConnectionsAtOnce() {
        return true;
    }

    @Override
    void close();
}
