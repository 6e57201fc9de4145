package io.pgresilience.config;

import java.util.Locale;
import java.time.Duration;

/**
 * What the gateway is held to in every fault scenario, asserted by the judge and shown beside each figure: time to
 * detect (fault → first failed answer to a request begun after it, and readiness 503), time to recover (heal → lasting success) and RTO (primary
 * lost → first acknowledged write on the new primary). Each comes from {@code slo.<key>}, overridden per deployment by
 * {@code slo.<topology>.<key>} and per target by {@code slo.<target>.<key>}; detection is the gateway's own pool timeout plus {@code slo.detect-slack-ms}.
 */
public record Slo(Duration detect, Duration recover, Duration rto) {

    public static Slo of(Settings s, String target, Duration poolTimeout) {
        Duration detect = poolTimeout.plus(Duration.ofMillis(millis(s, target, "detect-slack-ms")));
        return new Slo(detect, Duration.ofMillis(millis(s, target, "recover-ms")), Duration.ofMillis(millis(s, target, "rto-ms")));
    }

    /**
     * The RTO when the primary is cut off rather than down, under an HA manager ({@code slo.isolated-rto-ms}, per topology
     * and target as the others): a primary cut off cannot hand its leader lock over, so the standby is elected only when
     * the lock runs out.
     */
    public static Duration isolatedRto(Settings s, String target) {
        return Duration.ofMillis(millis(s, target, "isolated-rto-ms"));
    }

    /** The same, with another RTO (a scenario whose fault sets a later floor on it). */
    public Slo withRto(Duration other) {
        return new Slo(detect, recover, other);
    }

    private static long millis(Settings s, String target, String key) {
        String v = s.optional("slo." + target + "." + key)
                .or(() -> s.optional("topology").flatMap(t -> s.optional("slo." + t + "." + key)))
                .orElseGet(() -> s.text("slo." + key));
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting slo." + key + " must be a number of milliseconds, got '" + v + "'");
        }
    }

    /** "detect", "recover" or "RTO", as the features name them. */
    public Duration named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "detect" -> detect;
            case "recover" -> recover;
            case "rto" -> rto;
            default -> throw new IllegalArgumentException("no SLO called '" + name + "' (detect, recover, RTO)");
        };
    }

    /** For the report. */
    public String describe() {
        return "detect ≤ " + detect.toMillis() + " ms, recover ≤ " + recover.toMillis() + " ms, RTO ≤ " + rto.toMillis() + " ms";
    }
}
