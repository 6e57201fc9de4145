package io.pgresilience.evidence;

/**
 * One request through the gateway, as the history keeps it: what it was, when it started and ended (ms since
 * the history began), the HTTP status (0: no response), its outcome and, for reads, what it saw.
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
        String detail) {

    public long latencyMs() {
        return endMs - startMs;
    }

    public boolean isWrite() {
        return "write".equals(kind);
    }

    public boolean ok() {
        return outcome == Outcome.OK;
    }
}
