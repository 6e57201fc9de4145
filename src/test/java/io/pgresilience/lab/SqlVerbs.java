package io.pgresilience.lab;

import io.pgresilience.support.Wait;
import io.pgresilience.support.Command;
import io.pgresilience.support.LabException;


import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The node verbs that are plain SQL over a direct superuser connection (roles, timeline, polls, catch-up, terminating
 * backends): the same for every kind of lab; a lab's node adds how it starts, stops and is rebuilt.
 */
public abstract class SqlVerbs implements ReplicatingNode {

    protected final Deadlines deadlines;

    protected SqlVerbs(Deadlines deadlines) {
        this.deadlines = deadlines;
    }

    /** One of PostgreSQL's programs (pg_ctl, …) run as the lab's OS user, for a node whose server runs on this host. */
    protected Command pg(String program, String... args) {
        throw new UnsupportedOperationException(name() + " runs no PostgreSQL program on this host");
    }

    /** A direct superuser connection to a node on this host. */
    protected static Connection superuserConnection(String host, int port, String password, String database) throws SQLException {
        return superuserConnection(host, port, password, database, null);
    }

    /** @param localAddress the address the connection leaves from (null: the system's choice) */
    protected static Connection superuserConnection(String host, int port, String password, String database, String localAddress)
            throws SQLException {
        java.util.Properties props = new java.util.Properties();
        if (localAddress != null) {
            props.setProperty("localSocketAddress", localAddress);
        }
        props.setProperty("user", PgNode.SUPERUSER);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "3");
        props.setProperty("socketTimeout", "30");
        props.setProperty("ApplicationName", "pg-resilience-lab");
        return java.sql.DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + database, props);
    }

    /**
     * pg_ctl stop in the given mode. An immediate shutdown still waits for "dead-end" backends that PostgreSQL never
     * signals: one whose startup packet a fault proxy swallows (a standby reconnecting through a cut replication link)
     * keeps the server up for authentication_timeout. The scenario wants a crash: after the grace it gets SIGKILL.
     */
    protected void pgCtlStop(java.nio.file.Path data, StopMode mode) {
        long waitS = mode == StopMode.IMMEDIATE ? Math.max(1, deadlines.immediateStopGrace().toSeconds())
                : deadlines.operation().toSeconds();
        Command.Result r = pg("pg_ctl", "-D", data.toString(), "-m", mode.pgCtl(), "-w", "-t", Long.toString(waitS), "stop").run();
        if (r.ok() || !isRunning()) {
            return;
        }
        if (mode == StopMode.IMMEDIATE) {
            long pid = postmasterPid(data);
            System.err.println("pg-resilience: " + name() + " still up " + waitS + " s after pg_ctl stop -m immediate (a connection "
                    + "waits in authentication); SIGKILL to its postmaster " + pid);
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            Wait.until(name() + " is gone", deadlines.operation(), deadlines.poll(), () -> !isRunning(), Boolean.TRUE::equals);
            return;
        }
        throw new LabException("stopping " + name() + " failed (exit " + r.exitCode() + "): " + Command.lastLines(r.output(), 6));
    }

    private static long postmasterPid(java.nio.file.Path data) {
        try {
            return Long.parseLong(java.nio.file.Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public boolean isInRecovery() {
        return "t".equals(query("postgres", "SELECT pg_is_in_recovery()"));
    }

    @Override
    public int timeline() {
        return Integer.parseInt(Objects.requireNonNull(query("postgres", "SELECT timeline_id FROM pg_control_checkpoint()"
                + " WHERE pg_is_in_recovery() UNION ALL SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))"
                + "::bit(32)::int WHERE NOT pg_is_in_recovery()")));
    }

    @Override
    public String query(String database, String sql) {
        try (Connection c = connect(database); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new LabException("query on " + name() + " failed: " + e.getMessage() + " [" + sql + "]", e);
        }
    }

    @Override
    public void execute(String database, String sql) {
        try (Connection c = connect(database); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new LabException("statement on " + name() + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void pollQueryUntil(String database, String sql, String expected) {
        Wait.until(name() + ": " + sql + " = " + expected, deadlines.operation(), deadlines.poll(),
                () -> expected.equals(query(database, sql)), Boolean.TRUE::equals);
    }

    @Override
    public void waitForCatchup(DbNode standby) {
        String lsn = query("postgres", "SELECT pg_current_wal_lsn()");
        standby.pollQueryUntil("postgres", "SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn", "t");
    }

    @Override
    public List<Integer> terminateClientBackends(String role) {
        List<Integer> pids = new ArrayList<>();
        try (Connection c = connect("postgres");
             PreparedStatement ps = c.prepareStatement("SELECT pid, pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                     + "WHERE usename = ? AND backend_type = 'client backend' AND pid <> pg_backend_pid()")) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    pids.add(rs.getInt(1));
                }
            }
        } catch (SQLException e) {
            throw new LabException("terminating backends of " + role + " on " + name() + ": " + e.getMessage(), e);
        }
        return pids;
    }
}
