package io.pgresilience.gateway;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Test aids: each switch reintroduces one real-world resilience bug into the reference gateway,
 * so that the suite can prove it catches it. All are off unless GATEWAY_DEFECTS names them.
 */
public enum Defect {
    /** Database faults answer 500 instead of 503. */
    HTTP_500_FOR_DB_ERRORS("500-for-db-errors"),
    /** Readiness answers 200 without touching the database. */
    READY_WITHOUT_DB("ready-without-db"),
    /** The pool hands out connections without validating them first (no pre-ping). */
    NO_VALIDATION("no-validation"),
    /** A request waits for a pooled connection without a bound. */
    UNBOUNDED_POOL_WAIT("unbounded-pool-wait"),
    /** A connection that failed a request is never given back to the pool. */
    LEAK_ON_ERROR("leak-on-error"),
    /** Only the first host of the database URL is ever used: no failover. */
    SINGLE_HOST("single-host"),
    /** Any writable node is accepted, even one on an older timeline: no split-brain fencing. */
    NO_FENCING("no-fencing"),
    /** No statement_timeout: a blocked query waits until the socket times out. */
    NO_STATEMENT_TIMEOUT("no-statement-timeout"),
    /** A server and its tools are written statement by statement, each committed on its own. */
    NON_ATOMIC_WRITE("non-atomic-write"),
    /** A deadlock is swallowed into a generic 500. */
    DEADLOCK_AS_500("deadlock-as-500"),
    /** Reads are served by the (possibly lagging) standby. */
    READS_FROM_STANDBY("reads-from-standby"),
    /** Bearer tokens are looked up in the database; a database error becomes 401. */
    AUTH_NEEDS_DB("auth-needs-db"),
    /** Connections have no socket timeout: a query whose answer never comes hangs its request for ever. */
    NO_SOCKET_TIMEOUT("no-socket-timeout"),
    /** A write that finds no database connection answers 500 (reads still answer 503). */
    HTTP_500_FOR_FAILED_WRITES("500-for-failed-writes"),
    /** A write that finds no database connection is answered 201 anyway, though nothing was written. */
    ACK_FAILED_WRITES("ack-failed-writes"),
    /** Readiness that cannot reach the database answers 503 and 200 in turn (a cached status). */
    FLAPPING_READINESS("flapping-readiness"),
    /** A 503 for an unreachable database comes only after 8 s (inside the old 10 s deadlines). */
    LATE_503("late-503"),
    /** A deadlock is answered 409 but never written to the log. */
    DEADLOCK_UNLOGGED("deadlock-unlogged"),
    /** A statement timeout is answered 404 (its message still names the timeout). */
    TIMEOUT_AS_404("timeout-as-404"),
    /** A transaction chosen as deadlock victim is neither rolled back nor given back to the pool. */
    LEAK_ON_DEADLOCK("leak-on-deadlock"),
    /** A commit whose wait for the synchronous standby was cancelled (kept only locally) is acknowledged. */
    ACK_CANCELLED_SYNC_COMMIT("ack-cancelled-sync-commit"),
    /** A write whose COMMIT failed with a connection error is run again on a new connection (it may be applied twice). */
    RETRY_AFTER_COMMIT_ERROR("retry-after-commit-error"),
    /** A write whose COMMIT failed with a connection error is answered as failed (503 database_unavailable), though it
     *  may have been applied. */
    COMMIT_UNKNOWN_AS_FAILURE("commit-unknown-as-failure"),
    /** The bearer token is compared without regard to case. */
    CASE_INSENSITIVE_TOKEN("case-insensitive-token"),
    /** A database fault answers 503 with an error that does not say the database failed ("service_unavailable"). */
    ANONYMOUS_503("anonymous-503");

    private final String switchName;

    Defect(String switchName) {
        this.switchName = switchName;
    }

    public String switchName() {
        return switchName;
    }

    public static Set<Defect> parse(String list) {
        Set<Defect> out = EnumSet.noneOf(Defect.class);
        if (list == null || list.isBlank()) {
            return out;
        }
        for (String raw : list.split(",")) {
            String name = raw.trim().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                continue;
            }
            out.add(Arrays.stream(values())
                    .filter(d -> d.switchName.equals(name))
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown defect '" + name + "'; known: "
                            + Arrays.stream(values()).map(Defect::switchName).collect(Collectors.joining(", ")))));
        }
        return out;
    }
}
