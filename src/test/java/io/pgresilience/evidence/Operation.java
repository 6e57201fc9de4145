package io.pgresilience.evidence;

/**
 * One request through the gateway, as the history keeps it: what it was, when it started and ended (ms since
 * the history began), the HTTP status (0: no response), its outcome, the error code and message of a failure, whether
 * it said when to retry, and, for reads, what it saw.
 */
public record Operation(
        long index,
        String kind,
        String key,
        long startMs,
        long endMs,
        int status,
        Outcome outcome,
        String error,
        String message,
        boolean retryAfter,
        String detail) {

    public long latencyMs() {
        return endMs - startMs;
    }

    public boolean isWrite() {
        return "write".equals(kind);
    }

    /** A call of the gateway's API (not a health probe, not a deliberately malformed request). */
    public boolean isApi() {
        return switch (kind) {
            case "read", "write", "read-tools", "write-tool", "update" -> true;
            default -> false;
        };
    }

    public boolean ok() {
        return outcome == Outcome.OK;
    }
}
