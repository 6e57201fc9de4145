package io.pgresilience.lab;

import io.pgresilience.support.LabException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a node sees of the gateway, from outside: its sessions in pg_stat_activity, its locks in pg_locks,
 * and the rows it wrote. This is how the suite checks pools and transactions of any gateway, black box.
 */
public final class GatewaySessions {

    /** The columns the suite reads in the profile's tables (table.servers, table.tools): the contract's schema. */
    public static final java.util.SortedMap<String, String> COLUMNS_READ = new java.util.TreeMap<>(java.util.Map.of(
            "id", "any key type; the suite locks rows by it (SELECT id … FOR UPDATE) to hold a write",
            "name", "text, unique; the name the request gave, stored verbatim: every row is found by it",
            "description", "text (table.servers); the request's description stored verbatim (bulk updates, TX-01, TX-02)"));


    /** One backend of the gateway's role. */
    public record Backend(int pid, String state, String waitEventType, String waitEvent, String query) {
        public boolean busy() {
            return "active".equals(state) || (state != null && state.startsWith("idle in transaction"));
        }

        public boolean waitingOnLock() {
            return "Lock".equals(waitEventType);
        }

        /** Its query waits inside the database: on a lock, or for a synchronous standby's acknowledgement of its commit. */
        public boolean waitingInside() {
            return waitingOnLock() || "SyncRep".equals(waitEvent);
        }
    }

    private final DbNode node;
    private final String database;
    private final String role;

    public GatewaySessions(DbNode node, String database, String role) {
        this.node = node;
        this.database = database;
        this.role = role;
    }

    public List<Backend> backends() {
        List<Backend> out = new ArrayList<>();
        try (Connection c = node.connect("postgres");
             PreparedStatement ps = c.prepareStatement("SELECT pid, state, wait_event_type, wait_event, query FROM pg_stat_activity "
                     + "WHERE usename = ? AND datname = ? AND backend_type = 'client backend' AND pid <> pg_backend_pid()")) {
            ps.setString(1, role);
            ps.setString(2, database);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Backend(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)));
                }
            }
        } catch (SQLException e) {
            throw new LabException("reading pg_stat_activity on " + node.name() + ": " + e.getMessage(), e);
        }
        return out;
    }

    public List<Integer> pids() {
        return backends().stream().map(Backend::pid).toList();
    }

    /** The node's clock now, to compare with when the gateway's statements began. */
    public String clock() {
        return node.query("postgres", "SELECT clock_timestamp()::text");
    }

    /**
     * The statements the gateway's sessions began at or after an instant of the node's clock ({@link #clock}): each
     * session's latest, as pg_stat_activity keeps it ("pid: query").
     */
    public List<String> statementsSince(String instant) {
        List<String> out = new ArrayList<>();
        try (Connection c = node.connect("postgres");
             PreparedStatement ps = c.prepareStatement("SELECT pid, query FROM pg_stat_activity WHERE usename = ? AND datname = ? "
                     + "AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND query_start >= ?::timestamptz ORDER BY query_start")) {
            ps.setString(1, role);
            ps.setString(2, database);
            ps.setString(3, instant);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getInt(1) + ": " + rs.getString(2));
                }
            }
        } catch (SQLException e) {
            throw new LabException("reading pg_stat_activity on " + node.name() + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Locks held or awaited by the gateway's backends. */
    public int locks() {
        return Integer.parseInt(node.query("postgres", "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                + "WHERE a.usename = '" + role + "' AND a.datname = '" + database + "'"));
    }

    public long deadlocks() {
        return Long.parseLong(node.query("postgres", "SELECT deadlocks FROM pg_stat_database WHERE datname = '" + database + "'"));
    }

    /** How many rows of the table carry each name that starts with the prefix. */
    public Map<String, Integer> namesWithPrefix(String table, String prefix) {
        Map<String, Integer> out = new LinkedHashMap<>();
        try (Connection c = node.connect(database);
             PreparedStatement ps = c.prepareStatement("SELECT name, count(*) FROM " + table
                     + " WHERE left(name, length(?)) = ? GROUP BY name")) {
            ps.setString(1, prefix);
            ps.setString(2, prefix);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getInt(2));
                }
            }
        } catch (SQLException e) {
            throw new LabException("reading " + table + " on " + node.name() + ": " + e.getMessage(), e);
        }
        return out;
    }

    public List<String> allNames(String table) {
        List<String> out = new ArrayList<>();
        try (Connection c = node.connect(database);
             PreparedStatement ps = c.prepareStatement("SELECT name FROM " + table + " ORDER BY name");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        } catch (SQLException e) {
            throw new LabException("reading " + table + " on " + node.name() + ": " + e.getMessage(), e);
        }
        return out;
    }

    public String column(String table, String column, String name) {
        try (Connection c = node.connect(database);
             PreparedStatement ps = c.prepareStatement("SELECT " + column + " FROM " + table + " WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new LabException("reading " + table + "." + column + " on " + node.name() + ": " + e.getMessage(), e);
        }
    }

    /** amcheck's B-tree checks (with heapallindexed) on every index of the table: true when nothing is corrupt. */
    public Map<String, String> amcheck(String table) {
        Map<String, String> out = new LinkedHashMap<>();
        try (Connection c = node.connect(database)) {
            try (PreparedStatement ps = c.prepareStatement("SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = ?::regclass");
                 PreparedStatement check = c.prepareStatement("SELECT bt_index_check(?::regclass, true)")) {
                ps.setString(1, table);
                List<String> indexes = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        indexes.add(rs.getString(1));
                    }
                }
                for (String index : indexes) {
                    check.setString(1, index);
                    try {
                        check.executeQuery().close();
                        out.put(index, "ok");
                    } catch (SQLException e) {
                        out.put(index, e.getMessage());
                    }
                }
            }
        } catch (SQLException e) {
            throw new LabException("amcheck on " + node.name() + ": " + e.getMessage(), e);
        }
        return out;
    }
}
