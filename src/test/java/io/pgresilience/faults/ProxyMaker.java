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

    /** What makes the proxies, for the run context. */
    default String describe() {
        return "in-JVM fault proxy (Toxiproxy's toxics and semantics)";
    }

    /** Stops whatever runs the proxies (nothing for the in-JVM ones). */
    @Override
    default void close() {
    }
}
