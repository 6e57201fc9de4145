package io.pgresilience.gateway;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.postgresql.Driver;
import org.postgresql.PGProperty;
import org.postgresql.util.HostSpec;
import org.slf4j.LoggerFactory;

/**
 * Opens connections to the current primary of a multi-host pgjdbc URL, and refuses a split brain.
 *
 * <p>Each host of a multi-host pgjdbc URL is asked in turn with {@code targetServerType=primary}, each within the
 * connect timeout. pgjdbc alone takes the first writable host it finds; after a failover the old primary may come
 * back still writable (split brain) and would get writes. So this data source remembers the highest PostgreSQL
 * timeline it has seen (promotion increments it) and refuses a writable node on a lower one.
 */
final class FencingDataSource implements DataSource {

    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(FencingDataSource.class);
    private static final String TIMELINE_SQL =
            "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int";

    private final Driver driver = new Driver();
    private final List<HostSpec> hosts;
    private final String database;
    private final Properties properties;
    private final boolean fencing;
    private final List<String> passes;
    private final AtomicInteger highestTimeline = new AtomicInteger();
    private final int connectTimeoutS;
    private static final long RETRY_PAUSE_MS = 100;

    /**
     * @param url a pgjdbc URL, single- or multi-host, without credentials; its hosts are tried in order
     * @param targetServerType "primary" for the write pool, "preferSecondary" for a read pool
     */
    FencingDataSource(String url, String user, String password, GatewayConfig config, String targetServerType,
                      boolean fencing) {
        Properties parsed = Driver.parseURL(url, new Properties());
        if (parsed == null) {
            throw new IllegalArgumentException("GATEWAY_DB_URL is not a PostgreSQL JDBC URL");
        }
        String[] hostNames = PGProperty.PG_HOST.getOrDefault(parsed).split(",");
        String[] ports = PGProperty.PG_PORT.getOrDefault(parsed).split(",");
        List<HostSpec> specs = new ArrayList<>();
        for (int i = 0; i < hostNames.length; i++) {
            specs.add(new HostSpec(hostNames[i], Integer.parseInt(ports[i])));
        }
        this.hosts = config.has(Defect.SINGLE_HOST) ? List.of(specs.get(0)) : List.copyOf(specs);
        this.database = PGProperty.PG_DBNAME.getOrDefault(parsed);
        this.fencing = fencing;
        this.properties = new Properties();
        parsed.forEach((k, v) -> {
            String key = k.toString();
            if (!key.equals(PGProperty.PG_HOST.getName()) && !key.equals(PGProperty.PG_PORT.getName())
                    && !key.equals(PGProperty.PG_DBNAME.getName())) {
                properties.setProperty(key, v.toString());
            }
        });
        PGProperty.USER.set(properties, user);
        PGProperty.PASSWORD.set(properties, password);
        this.passes = targetServerType.equals("preferSecondary") ? List.of("secondary", "any") : List.of(targetServerType);
        this.connectTimeoutS = config.connectTimeoutS();
        PGProperty.CONNECT_TIMEOUT.set(properties, config.connectTimeoutS());
        // The login timeout bounds one host's whole attempt: its handshake as well as the TCP connect.
        PGProperty.LOGIN_TIMEOUT.set(properties, config.connectTimeoutS());
        PGProperty.SOCKET_TIMEOUT.set(properties, config.has(Defect.NO_SOCKET_TIMEOUT) ? 0 : config.socketTimeoutS());
        PGProperty.TCP_KEEP_ALIVE.set(properties, true);
        // A query timeout's cancel goes out on a connection of its own, and the query's thread waits for it: pgjdbc's
        // default (10 s) held a COMMIT caught by a partition for query timeout + 10 s, past the request's bound.
        PGProperty.CANCEL_SIGNAL_TIMEOUT.set(properties, config.connectTimeoutS());
        PGProperty.APPLICATION_NAME.set(properties, "reference-gateway");
        if (!config.has(Defect.NO_STATEMENT_TIMEOUT)) {
            PGProperty.OPTIONS.set(properties, "-c statement_timeout=" + config.statementTimeoutMs());
        }
    }

    /** The hosts this data source may use, in order; for logs. */
    String hostList() {
        return hosts.stream().map(HostSpec::toString).reduce((a, b) -> a + "," + b).orElse("");
    }

    int highestTimeline() {
        return highestTimeline.get();
    }

    /**
     * Asks every host for its timeline, once, at start: a gateway (re)started while an old primary is still writable
     * must already know that a newer timeline exists, or it would take the first writable host it finds.
     */
    void learnTimelines() {
        if (!fencing || hosts.size() < 2) {
            return;
        }
        Properties probe = (Properties) properties.clone();
        PGProperty.TARGET_SERVER_TYPE.set(probe, "any");
        for (HostSpec host : hosts) {
            try (Connection c = driver.connect(urlFor(List.of(host)), probe);
                 Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT CASE WHEN pg_is_in_recovery() THEN (SELECT timeline_id FROM "
                         + "pg_control_checkpoint()) ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))"
                         + "::bit(32)::int END")) {
                rs.next();
                highestTimeline.accumulateAndGet(rs.getInt(1), Math::max);
            } catch (SQLException e) {
                LOG.info("timeline of {} unknown at start: {}", host, e.getMessage());
            }
        }
        LOG.info("highest timeline among the database hosts at start: {}", highestTimeline.get());
    }

    /**
     * A single address (a VIP, a pooler) may refuse at once while what stands behind it is down: PgBouncer answers
     * "server login has been failing" for its server_login_retry. Each attempt is then given its whole connect timeout,
     * retried every {@link #RETRY_PAUSE_MS} ms, so that the pool sees one slow failure instead of many instant ones (its
     * add-backoff doubles with every failure, up to 5 s, and would keep it away from a database that is back). With
     * several hosts a refusal moves on to the next host at once instead.
     */
    @Override
    public Connection getConnection() throws SQLException {
        if (hosts.size() > 1) {
            return connectToAPrimary();
        }
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(connectTimeoutS);
        while (true) {
            try {
                return connectToAPrimary();
            } catch (SQLException e) {
                boolean connectionRefused = e.getSQLState() != null && (e.getSQLState().startsWith("08") || e.getSQLState().equals("57P03"));
                if (!connectionRefused || System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(RETRY_PAUSE_MS) > deadline) {
                    throw e;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(RETRY_PAUSE_MS));
            }
        }
    }

    private Connection connectToAPrimary() throws SQLException {
        SQLException last = null;
        for (String type : passes) {
            for (HostSpec host : hosts) {
                Connection connection;
                try {
                    connection = connect(host, type);
                } catch (SQLException e) {
                    last = e;
                    continue;
                }
                if (!fencing) {
                    return connection;
                }
                int timeline;
                try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(TIMELINE_SQL)) {
                    rs.next();
                    timeline = rs.getInt(1);
                } catch (SQLException e) {
                    connection.close();
                    last = e;
                    continue;
                }
                int highest = highestTimeline.accumulateAndGet(timeline, Math::max);
                if (timeline >= highest) {
                    return connection;
                }
                connection.close();
                LOG.warn("fenced a stale primary: {} is writable on timeline {}, but timeline {} has been seen; "
                        + "refusing it (split brain)", host, timeline, highest);
                last = new SQLException("no writable database node on timeline >= " + highest
                        + " (stale primaries refused)", "08001");
            }
        }
        throw last != null ? last : new SQLException("no database host configured", "08001");
    }

    /**
     * One host at a time, each within the connect timeout (TCP connect and the start-up handshake): a blackholed
     * host must cost one connect timeout, not the whole login budget, or the next host is never tried.
     */
    private Connection connect(HostSpec host, String targetServerType) throws SQLException {
        Properties p = (Properties) properties.clone();
        PGProperty.TARGET_SERVER_TYPE.set(p, targetServerType);
        Connection c = driver.connect(urlFor(List.of(host)), p);
        if (c == null) {
            throw new SQLException("the driver refused the URL for " + host, "08001");
        }
        return c;
    }

    private String urlFor(List<HostSpec> candidates) {
        StringBuilder url = new StringBuilder("jdbc:postgresql://");
        for (int i = 0; i < candidates.size(); i++) {
            if (i > 0) {
                url.append(',');
            }
            url.append(candidates.get(i).getHost()).append(':').append(candidates.get(i).getPort());
        }
        return url.append('/').append(database).toString();
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("credentials are configured on the data source");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
    }

    @Override
    public void setLoginTimeout(int seconds) {
    }

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return false;
    }
}
