package io.pgresilience.run;

import io.pgresilience.lab.DbCluster;

import io.pgresilience.faults.LabNetwork;

/**
 * A running lab, whatever kind: the database cluster, and the network of fault proxies the gateway reaches it
 * through. {@code gatewayInContainer} tells a target to run the gateway where it can reach that network.
 */
public record Lab(String kind, DbCluster cluster, LabNetwork network, boolean gatewayInContainer) implements AutoCloseable {

    @Override
    public void close() {
        try {
            network.close();
        } finally {
            cluster.close();
        }
    }
}
