package io.pgresilience.gateway;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The gateway's database access: a HikariCP pool with the plan's settings over a {@link FencingDataSource}.
 * Every use of a connection goes through {@link #read}, {@link #write} or {@link #transaction}, so that
 * connections are always given back and time spent in the database is measured.
 */
public final class Database implements AutoCloseable {

    /** One unit of work on a borrowed connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** The connection broke while COMMIT was on its way: the write may or may not be applied. */
    public static final class CommitOutcomeUnknown extends SQLException {
        CommitOutcomeUnknown(SQLException cause) {
            super("connection lost during COMMIT: " + cause.getMessage(), cause.getSQLState(), cause);
        }
    }

    private static final ThreadLocal<long[]> DB_NANOS = ThreadLocal.withInitial(() -> new long[1]);

    private final GatewayConfig config;
    private final FencingDataSource writeSource;
    private final HikariDataSource writePool;
    private final HikariDataSource readPool;

    public Database(GatewayConfig config) {
        this.config = config;
        // Hikari reads these once, from system properties: housekeeping decides how soon an emptied pool
        // refills to its idle size; the bypass window is how long a connection may sit idle and still be
        // handed out without validation. 0 validates on every checkout, as SQLAlchemy's pool_pre_ping does.
        System.setProperty("com.zaxxer.hikari.housekeeping.periodMs", Long.toString(config.housekeepingMs()));
        System.setProperty("com.zaxxer.hikari.aliveBypassWindowMs",
                config.has(Defect.NO_VALIDATION) ? Long.toString(Long.MAX_VALUE / 2) : "0");
        this.writeSource = new FencingDataSource(config.databaseUrl(), config.databaseUser(),
                config.databasePassword(), config, "primary", !config.has(Defect.NO_FENCING));
        writeSource.learnTimelines();
        this.writePool = pool("gateway-pool", writeSource);
        this.readPool = config.has(Defect.READS_FROM_STANDBY)
                ? pool("gateway-read-pool", new FencingDataSource(config.databaseUrl(), config.databaseUser(),
                        config.databasePassword(), config, "preferSecondary", false))
                : null;
    }

    private HikariDataSource pool(String name, FencingDataSource source) {
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName(name);
        hikari.setDataSource(source);
        hikari.setMinimumIdle(config.poolMinIdle());
        hikari.setMaximumPoolSize(config.poolMax());
        hikari.setConnectionTimeout(config.has(Defect.UNBOUNDED_POOL_WAIT) ? 0 : config.poolTimeoutMs());
        hikari.setMaxLifetime(config.poolMaxLifetimeMs());
        hikari.setValidationTimeout(config.validationTimeoutMs());
        // Start even when the database is down: readiness reports it, requests get 503.
        hikari.setInitializationFailTimeout(-1);
        return new HikariDataSource(hikari);
    }

    /** A read: served by the primary (or, with the reads-from-standby defect, by a standby). */
    public <T> T read(Work<T> work) throws SQLException {
        return use(readPool != null ? readPool : writePool, false, work);
    }

    /** One statement, committed on its own. */
    public <T> T write(Work<T> work) throws SQLException {
        return use(writePool, false, work);
    }

    /** Several statements, all or nothing. */
    public <T> T transaction(Work<T> work) throws SQLException {
        try {
            return use(writePool, true, work);
        } catch (CommitOutcomeUnknown e) {
            if (config.has(Defect.RETRY_AFTER_COMMIT_ERROR)) {
                return use(writePool, true, work); // the defect: the first attempt may have been applied
            }
            if (config.has(Defect.COMMIT_UNKNOWN_AS_FAILURE)) {
                throw new SQLException("connection lost: " + e.getMessage(), "08006", e.getCause()); // the defect: "failed"
            }
            throw e;
        }
    }

    private <T> T use(HikariDataSource pool, boolean transactional, Work<T> work) throws SQLException {
        long start = System.nanoTime();
        Connection connection = null;
        boolean ok = false;
        boolean leaked = false;
        try {
            connection = pool.getConnection();
            T result;
            if (transactional) {
                connection.setAutoCommit(false);
                try {
                    result = work.run(connection);
                } catch (SQLException | RuntimeException e) {
                    if (config.has(Defect.LEAK_ON_DEADLOCK) && "40P01".equals(ApiError.sqlState(e))) {
                        leaked = true; // the defect: the aborted transaction stays open and the connection is kept
                        throw e;
                    }
                    rollbackQuietly(connection);
                    throw e;
                }
                commit(connection);
            } else {
                result = work.run(connection);
            }
            ok = true;
            return result;
        } finally {
            if (connection != null && !leaked && (ok || !config.has(Defect.LEAK_ON_ERROR))) {
                connection.close();
            }
            DB_NANOS.get()[0] += System.nanoTime() - start;
        }
    }

    private void commit(Connection connection) throws SQLException {
        java.sql.SQLWarning warnings;
        try (Statement st = connection.createStatement()) {
            // PostgreSQL turns statement_timeout off before it commits, so a commit waiting for an unreachable
            // synchronous standby would wait until the socket timeout. The driver's query timeout bounds it instead:
            // it cancels the wait, and PostgreSQL keeps the commit locally with a warning (handled below).
            if (!config.has(Defect.NO_STATEMENT_TIMEOUT)) {
                st.setQueryTimeout((int) Math.max(1, (config.statementTimeoutMs() + 999) / 1000));
            }
            connection.clearWarnings();
            st.execute("COMMIT");
            warnings = st.getWarnings();
        } catch (SQLException e) {
            String state = e.getSQLState();
            if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
                throw new CommitOutcomeUnknown(e);
            }
            throw e;
        }
        // A COMMIT whose wait for the synchronous standby was cancelled still "succeeds", with only a WARNING:
        // committed locally, maybe not replicated. Acknowledging it could lose it in a failover, so the client is
        // told the truth: outcome unknown.
        if (config.has(Defect.ACK_CANCELLED_SYNC_COMMIT)) {
            return;
        }
        for (java.sql.SQLWarning w : new java.sql.SQLWarning[] {warnings, connection.getWarnings()}) {
            for (; w != null; w = w.getNextWarning()) {
                if (String.valueOf(w.getMessage()).contains("synchronous replication")) {
                    throw new CommitOutcomeUnknown(new SQLException(w.getMessage(), "08000"));
                }
            }
        }
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; Hikari evicts it when it is closed
        }
    }

    /** Readiness: a real query with a short timeout. */
    public void ping() throws SQLException {
        use(writePool, false, c -> {
            try (Statement st = c.createStatement()) {
                st.setQueryTimeout((int) Math.max(1, config.readyTimeoutMs() / 1000));
                st.execute("SELECT 1");
            }
            return null;
        });
    }

    public Map<String, Object> poolStats() {
        HikariPoolMXBean bean = writePool.getHikariPoolMXBean();
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("active", bean == null ? 0 : bean.getActiveConnections());
        stats.put("idle", bean == null ? 0 : bean.getIdleConnections());
        stats.put("total", bean == null ? 0 : bean.getTotalConnections());
        stats.put("waiting", bean == null ? 0 : bean.getThreadsAwaitingConnection());
        stats.put("min_idle", config.poolMinIdle());
        stats.put("max", config.poolMax());
        stats.put("highest_timeline", writeSource.highestTimeline());
        return stats;
    }

    public String hosts() {
        return writeSource.hostList();
    }

    /** Milliseconds this thread spent in the database since the last call; for Server-Timing. */
    public static double takeDbMillis() {
        long[] nanos = DB_NANOS.get();
        double ms = nanos[0] / 1_000_000.0;
        nanos[0] = 0;
        return ms;
    }

    @Override
    public void close() {
        writePool.close();
        if (readPool != null) {
            readPool.close();
        }
    }
}
