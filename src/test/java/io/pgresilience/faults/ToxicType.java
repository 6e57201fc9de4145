package io.pgresilience.faults;

/** Toxiproxy's toxic types, with its names and attribute names. */
public enum ToxicType {
    /** Delays each chunk by {@code latency} ms ± {@code jitter} ms. */
    LATENCY("latency"),
    /** Passes nothing; closes the connection after {@code timeout} ms, or never when 0 (a blackhole). */
    TIMEOUT("timeout"),
    /** Resets the connection (TCP RST) after {@code timeout} ms, or at once when 0. */
    RESET_PEER("reset_peer"),
    /** Limits throughput to {@code rate} KB/s. */
    BANDWIDTH("bandwidth"),
    /** Delays the socket's close by {@code delay} ms. */
    SLOW_CLOSE("slow_close"),
    /** Closes the connection once {@code bytes} bytes have passed. */
    LIMIT_DATA("limit_data");

    private final String toxiproxyName;

    ToxicType(String toxiproxyName) {
        this.toxiproxyName = toxiproxyName;
    }

    public String toxiproxyName() {
        return toxiproxyName;
    }
}
