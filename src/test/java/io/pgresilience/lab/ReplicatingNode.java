package io.pgresilience.lab;

import java.net.InetSocketAddress;

/** A node that can be made a streaming standby again, the one verb in which the lab kinds differ most. */
public interface ReplicatingNode extends DbNode {

    /** Replaces this node by a streaming standby of the primary, from a fresh base backup (init_from_backup). */
    void rebuildAsStandbyOf(DbNode primary, InetSocketAddress streamFrom);
}
