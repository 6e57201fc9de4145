package io.pgresilience.lab;

import java.util.List;

/**
 * Where a node lives when it is not on this host's loopback: a host of its own on a network (a network namespace the
 * run made, with its own address), reached by the others across a real link. The node's server listens on the place's
 * address and is started inside it; the suite's own connections leave from an address that the faults leave alone.
 */
public interface NetworkPlace {

    /** The place's own address: where the gateway, the other nodes and the suite reach the node. */
    String address();

    /** The command line that runs argv inside the place. */
    List<String> enter(List<String> argv);

    /** The local address the suite's own connections to the node leave from (no fault touches it). */
    String observerSource();

    /** The network the place's peers are on (CIDR), which the node's pg_hba.conf admits. */
    String network();

    /** One line for reports. */
    String describe();
}
