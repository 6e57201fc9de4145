package io.pgresilience.gateway;

import java.util.Map;
import java.util.Set;

/**
 * Everything the reference gateway is told, read from its environment (so that a secret never
 * shows on a command line). Defaults follow the test plan's "Database Connection Architecture":
 * pool_size=5, max_overflow=10, pool_timeout=30 s, pool_recycle=1800 s, pre-ping on.
 */
public record GatewayConfig(
        String host,
        int port,
        String databaseUrl,
        String databaseUser,
        String databasePassword,
        String apiToken,
        int poolMinIdle,
        int poolMax,
        long poolTimeoutMs,
        long poolMaxLifetimeMs,
        long validationTimeoutMs,
        long housekeepingMs,
        int connectTimeoutS,
        int socketTimeoutS,
        long statementTimeoutMs,
        long readyTimeoutMs,
        int retryAfterS,
        long parentPid,
        Set<Defect> defects) {

    public static GatewayConfig fromEnvironment(Map<String, String> env) {
        return new GatewayConfig(
                env.getOrDefault("GATEWAY_HOST", "127.0.0.1"),
                intOf(env, "GATEWAY_PORT", 8000),
                required(env, "GATEWAY_DB_URL"),
                required(env, "GATEWAY_DB_USER"),
                required(env, "GATEWAY_DB_PASSWORD"),
                required(env, "GATEWAY_TOKEN"),
                intOf(env, "GATEWAY_POOL_MIN_IDLE", 5),
                intOf(env, "GATEWAY_POOL_MAX", 15),
                longOf(env, "GATEWAY_POOL_TIMEOUT_MS", 30_000),
                longOf(env, "GATEWAY_POOL_MAX_LIFETIME_MS", 1_800_000),
                longOf(env, "GATEWAY_VALIDATION_TIMEOUT_MS", 5_000),
                longOf(env, "GATEWAY_HOUSEKEEPING_MS", 30_000),
                intOf(env, "GATEWAY_CONNECT_TIMEOUT_S", 10),
                intOf(env, "GATEWAY_SOCKET_TIMEOUT_S", 60),
                longOf(env, "GATEWAY_STATEMENT_TIMEOUT_MS", 30_000),
                longOf(env, "GATEWAY_READY_TIMEOUT_MS", 2_000),
                intOf(env, "GATEWAY_RETRY_AFTER_S", 2),
                longOf(env, "GATEWAY_PARENT_PID", 0),
                Defect.parse(env.get("GATEWAY_DEFECTS")));
    }

    public boolean has(Defect defect) {
        return defects.contains(defect);
    }

    /** Safe to log: no password, no token. */
    public String describe() {
        return "listen=" + host + ":" + port
                + " pool(minIdle=" + poolMinIdle + ", max=" + poolMax + ", timeout=" + poolTimeoutMs + "ms, maxLifetime="
                + poolMaxLifetimeMs + "ms, validationTimeout=" + validationTimeoutMs + "ms, housekeeping=" + housekeepingMs
                + "ms) connectTimeout=" + connectTimeoutS + "s socketTimeout=" + socketTimeoutS + "s statementTimeout="
                + statementTimeoutMs + "ms defects=" + defects.stream().map(Defect::switchName).toList();
    }

    private static String required(Map<String, String> env, String key) {
        String v = env.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("environment variable " + key + " is required");
        }
        return v;
    }

    private static int intOf(Map<String, String> env, String key, int fallback) {
        return (int) longOf(env, key, fallback);
    }

    private static long longOf(Map<String, String> env, String key, long fallback) {
        String v = env.get(key);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("environment variable " + key + " must be a number, got '" + v + "'");
        }
    }
}
