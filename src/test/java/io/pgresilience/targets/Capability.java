package io.pgresilience.targets;

/**
 * What a target offers beyond the common API; a scenario that needs a missing one is skipped with the reason. The
 * first three come from how the suite runs the target; the others from the gateway's API, declared in its profile
 * ({@code capabilities=} in {@code src/test/resources/profiles/*.properties}).
 */
public enum Capability {
    /** The suite controls the gateway's database: it can stop it, cut it off, lock it, watch it. */
    LAB_CONTROL("the suite does not control this gateway's database, so it cannot inject the fault"),
    /** The suite starts and stops the gateway, so it can restart it with another topology. */
    MANAGED_PROCESS("the suite does not start this gateway, so it cannot choose its database URL"),
    /** One call updates several rows in one transaction, in the order given. */
    BULK_UPDATE("the gateway has no API that updates several rows in one transaction"),
    /** The server list can be filtered by name. */
    NAME_FILTER("the gateway's server list has no name filter"),
    /** One call creates a server together with its tools, in one transaction. */
    SERVER_WITH_TOOLS("the gateway has no API that writes several rows in one call"),
    /** Responses carry a Server-Timing header with the time spent in the database. */
    SERVER_TIMING("the gateway does not report its query time"),
    /** The gateway reports its pool's borrowed and idle connections. */
    POOL_STATS("the gateway does not report its pool's state"),
    /** The suite can see the gateway's database sessions (it knows the gateway's database role). */
    DATABASE_ROLE("the suite does not know which database role the gateway uses");

    private final String missingReason;

    Capability(String missingReason) {
        this.missingReason = missingReason;
    }

    /** Whether a gateway profile declares it (its API has it); the others come from how the suite runs the gateway. */
    public boolean declaredByProfile() {
        return this != LAB_CONTROL && this != MANAGED_PROCESS && this != DATABASE_ROLE;
    }

    public String missingReason() {
        return missingReason;
    }
}
