package io.pgresilience.steps;

import io.pgresilience.lab.GatewaySessions;
import io.pgresilience.lab.OutsideSession;
import io.pgresilience.support.Wait;
import io.pgresilience.targets.Capability;
import io.pgresilience.world.Faults;
import io.pgresilience.world.GatewayWorld;
import io.pgresilience.world.LabWorld;
import java.util.Optional;

/**
 * A request of the gateway held inside the database at the moment a fault strikes: its query waits on a lock an outside
 * session holds on the primary. Without one, whether a fault fails any request in flight — and so whether the gateway's
 * answer to such a request is judged at all — depends on the timing of the background traffic, and a verdict on it
 * varies from run to run.
 */
final class HeldRequest {

    private HeldRequest() {
    }

    /**
     * Holds one list of tools inside the primary, and returns the outside session to let go of it; empty where the suite
     * cannot see the gateway's sessions, or where one is inside the database already.
     */
    static Optional<OutsideSession> hold(GatewayWorld gateway, LabWorld lab, Faults faults) {
        if (!gateway.target().has(Capability.DATABASE_ROLE) || lab.hasOutsideSession()
                || lab.onPrimary().backends().stream().anyMatch(GatewaySessions.Backend::waitingInside)) {
            // one is there already: a write waiting for the unreachable synchronous standby (FO-01), or one the
            // scenario's own lock holds (TX-03); a gateway that serves one request at a time would not even send ours
            return Optional.empty();
        }
        return Optional.of(holdOne(gateway, lab, faults));
    }

    /** Holds one list of tools inside the primary, whatever is there already; returns the outside session to let go of it. */
    static OutsideSession holdOne(GatewayWorld gateway, LabWorld lab, Faults faults) {
        OutsideSession lock = faults.lockTable(gateway.target().profile().toolsTable(), false);
        gateway.launch(() -> gateway.client().listTools());
        Wait.until("a query of the gateway waits inside the database", gateway.bounds().detect(), gateway.bounds().poll(),
                () -> lab.onPrimary().backends().stream().anyMatch(GatewaySessions.Backend::waitingOnLock), waiting -> waiting);
        return lock;
    }
}
