package io.pgresilience.faults;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Makes the lab's fault proxies: in this JVM (the default), or in a real Toxiproxy server ({@code -Dfaults=toxiproxy}). */
@FunctionalInterface
public interface ProxyMaker extends AutoCloseable {

    /** The in-JVM proxy: Toxiproxy's toxics and semantics, no process of its own. */
    ProxyMaker IN_JVM = (name, listen, upstreamHost, upstreamPort) -> InJvmFaultProxy.start(name, listen, 0, upstreamHost, upstreamPort);

    /** A listening proxy named name on the address (a free port), forwarding to the upstream. */
    FaultProxy start(String name, InetAddress listen, String upstreamHost, int upstreamPort);

    /**
     * Where the lab's other parts (the gateway, a standby) reach a proxy: by default where it listens, under the host
     * name they use for this host; a server in the lab's own network says its own.
     */
    default InetSocketAddress addressInLab(FaultProxy proxy, String hostAlias) {
        return InetSocketAddress.createUnresolved(hostAlias, proxy.listenPort());
    }

    /**
     * Why this engine cannot cut a host off from every other host of the lab (a real network partition of one node, its
     * HA manager's links included), if it cannot: a proxy stands only on the database's links.
     */
    default java.util.Optional<String> whyNoIsolation() {
        return java.util.Optional.of(NO_ISOLATION);
    }

    /** Why a proxy cannot cut a host off from the whole cluster (a skip's reason: the engine's limit). */
    String NO_ISOLATION = "a fault proxy stands only on the database's own links, not between the cluster's hosts and its HA "
            + "manager's store; -Dfaults=kernel cuts a host off";

    /**
     * Cuts the host at that address off from every other host of the lab and from the gateway, both directions, open
     * connections included (the suite's own look at the database keeps its path); false heals it.
     *
     * @return what now stands, in the engine's own words (for the evidence)
     */
    default java.util.List<String> setIsolated(String address, boolean isolated) {
        throw new UnsupportedOperationException(whyNoIsolation().orElse("this engine cannot isolate a host"));
    }

    /**
     * Whether the heal of this engine's partition delivers what was sent into it (a real network: the kernels retransmit
     * what they hold), where a proxy's blackhole has swallowed it for good.
     */
    default boolean healDeliversWhatWasSentIntoIt() {
        return false;
    }

    /** What makes the proxies, for the run context. */
    default String describe() {
        return "in-JVM fault proxy (Toxiproxy's toxics and semantics)";
    }

    /** Stops whatever runs the proxies (nothing for the in-JVM ones). */
    @Override
    default void close() {
    }
}
