package io.pgresilience.faults;

import java.util.Map;

/**
 * One toxic, as Toxiproxy defines it: a name (default {@code <type>_<stream>}), a type, the direction it
 * acts on, a toxicity (the chance it applies to a given connection) and its attributes.
 */
public record Toxic(String name, ToxicType type, Direction stream, double toxicity, Map<String, Long> attributes) {

    public Toxic {
        attributes = Map.copyOf(attributes);
        if (toxicity < 0 || toxicity > 1) {
            throw new IllegalArgumentException("toxicity must be within 0..1");
        }
    }

    private static Toxic of(ToxicType type, Direction stream, Map<String, Long> attributes) {
        return new Toxic(type.toxiproxyName() + "_" + stream.toxiproxyName(), type, stream, 1.0, attributes);
    }

    public static Toxic latency(Direction stream, long latencyMs, long jitterMs) {
        return of(ToxicType.LATENCY, stream, Map.of("latency", latencyMs, "jitter", jitterMs));
    }

    public static Toxic timeout(Direction stream, long timeoutMs) {
        return of(ToxicType.TIMEOUT, stream, Map.of("timeout", timeoutMs));
    }

    public static Toxic resetPeer(Direction stream, long timeoutMs) {
        return of(ToxicType.RESET_PEER, stream, Map.of("timeout", timeoutMs));
    }

    public static Toxic bandwidth(Direction stream, long rateKbPerSecond) {
        return of(ToxicType.BANDWIDTH, stream, Map.of("rate", rateKbPerSecond));
    }

    public static Toxic slowClose(Direction stream, long delayMs) {
        return of(ToxicType.SLOW_CLOSE, stream, Map.of("delay", delayMs));
    }

    public static Toxic limitData(Direction stream, long bytes) {
        return of(ToxicType.LIMIT_DATA, stream, Map.of("bytes", bytes));
    }

    public Toxic named(String newName) {
        return new Toxic(newName, type, stream, toxicity, attributes);
    }

    public Toxic withToxicity(double newToxicity) {
        return new Toxic(name, type, stream, newToxicity, attributes);
    }

    public long attribute(String key) {
        Long v = attributes.get(key);
        if (v == null) {
            throw new IllegalArgumentException(type.toxiproxyName() + " has no attribute " + key);
        }
        return v;
    }

    @Override
    public String toString() {
        return name + " " + attributes;
    }
}
