package io.pgresilience.gateway;

import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * What a failure means to a client: an HTTP status and a stable error code. Database faults follow the
 * resilience contract: unavailable → 503 with Retry-After, timeouts → 504, conflicts → 409; never a bare 500.
 */
public record ApiError(int status, String error, String message) {

    public boolean retryable() {
        return status == 503 || status == 504;
    }

    public static ApiError badRequest(String message) {
        return new ApiError(400, "bad_request", message);
    }

    public static ApiError of(Throwable failure, GatewayConfig config) {
        ApiError mapped = classify(failure);
        if (config.has(Defect.HTTP_500_FOR_DB_ERRORS) && mapped.retryable()) {
            return new ApiError(500, "internal_error", "Internal Server Error");
        }
        if (config.has(Defect.ANONYMOUS_503) && mapped.status() == 503) {
            return new ApiError(503, "service_unavailable", "the service is unavailable; try again later");
        }
        if (config.has(Defect.DEADLOCK_AS_500) && mapped.error().equals("deadlock_detected")) {
            return new ApiError(500, "internal_error", "Internal Server Error");
        }
        if (config.has(Defect.TIMEOUT_AS_404) && mapped.error().equals("statement_timeout")) {
            return new ApiError(404, "not_found", mapped.message());
        }
        return mapped;
    }

    private static ApiError classify(Throwable failure) {
        if (failure instanceof Catalog.UnknownServer) {
            return new ApiError(404, "not_found", failure.getMessage());
        }
        if (failure instanceof Database.CommitOutcomeUnknown) {
            return new ApiError(503, "commit_outcome_unknown",
                    "the database connection failed during commit; the write may or may not have been applied");
        }
        SQLException sql = firstOf(failure, SQLException.class);
        if (sql == null) {
            return new ApiError(500, "internal_error", "Internal Server Error");
        }
        String state = sqlState(sql);
        if (sql instanceof SQLTransientConnectionException) {
            // HikariCP: no connection within the pool timeout (the database is down, or the pool is exhausted)
            return new ApiError(503, "database_unavailable", "no database connection became available within the pool timeout");
        }
        if (firstOf(failure, SocketTimeoutException.class) != null) {
            return new ApiError(504, "database_timeout", "the database did not answer within the socket timeout");
        }
        if ("57014".equals(state)) {
            return new ApiError(504, "statement_timeout", "the query was cancelled by statement_timeout; rolled back");
        }
        if (state != null && (state.startsWith("08") || state.startsWith("57P") || state.equals("25006")
                || state.startsWith("53"))) {
            return new ApiError(503, "database_unavailable", "the database is unavailable (SQLSTATE " + state + ")");
        }
        if ("40P01".equals(state)) {
            return new ApiError(409, "deadlock_detected", "the transaction was chosen as a deadlock victim and rolled back; retry");
        }
        if ("40001".equals(state)) {
            return new ApiError(409, "serialization_failure", "the transaction conflicted with another and was rolled back; retry");
        }
        if ("23505".equals(state)) {
            return new ApiError(409, "conflict", "an entry with that name already exists");
        }
        if (state != null && (state.startsWith("22") || state.startsWith("23"))) {
            return new ApiError(400, "bad_request", "the database refused the data (SQLSTATE " + state + ")");
        }
        return new ApiError(500, "internal_error", "Internal Server Error");
    }

    /** No connection could be had because the database cannot be reached (not because the pool is busy). */
    static boolean unreachable(Throwable failure) {
        String state = sqlState(failure);
        if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
            return true;
        }
        SQLTransientConnectionException timeout = firstOf(failure, SQLTransientConnectionException.class);
        return timeout != null && timeout.getCause() != null;
    }

    /** The pool gave no connection within its timeout. */
    static boolean noConnection(Throwable failure) {
        return firstOf(failure, SQLTransientConnectionException.class) != null;
    }

    /** The first SQLSTATE along the cause chain: Hikari wraps the driver's exception. */
    static String sqlState(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) {
                return s.getSQLState();
            }
        }
        return null;
    }

    private static <T extends Throwable> T firstOf(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
