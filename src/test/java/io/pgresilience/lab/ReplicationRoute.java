package io.pgresilience.lab;

import java.net.InetSocketAddress;

/** Where a standby streams from, given its primary: the primary itself, or a fault proxy in front of it. */
@FunctionalInterface
public interface ReplicationRoute {

    InetSocketAddress to(DbNode primary);

    ReplicationRoute DIRECT = p -> InetSocketAddress.createUnresolved(p.host(), p.port());
}
