package io.pgresilience.gateway;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The gateway's data: MCP servers and their tools, in two tables. All SQL is parameterized. */
public final class Catalog {

    /** A tool to create, alone or with its server. */
    public record ToolSpec(String name, String url) {
    }

    /** One row update of a bulk update: which server, its new description. */
    public record DescriptionUpdate(String name, String description) {
    }

    /** A bulk update named a server that does not exist; nothing was changed. */
    public static final class UnknownServer extends RuntimeException {
        UnknownServer(String name) {
            super("no server named '" + name + "'");
        }
    }

    private static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS servers (
              id          bigserial PRIMARY KEY,
              name        text NOT NULL UNIQUE,
              url         text,
              description text,
              created_at  timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE IF NOT EXISTS tools (
              id         bigserial PRIMARY KEY,
              name       text NOT NULL UNIQUE,
              url        text,
              server_id  bigint REFERENCES servers(id) ON DELETE CASCADE,
              created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE IF NOT EXISTS api_tokens (
              token_sha256 text PRIMARY KEY
            );
            """;

    private final Database db;
    private final GatewayConfig config;

    public Catalog(Database db, GatewayConfig config) {
        this.db = db;
        this.config = config;
    }

    public void createSchema(String tokenSha256) throws SQLException {
        db.transaction(c -> {
            try (Statement st = c.createStatement()) {
                // Two gateways starting together must not race on CREATE TABLE.
                st.execute("SELECT pg_advisory_xact_lock(4242)");
                st.execute(SCHEMA);
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO api_tokens(token_sha256) VALUES (?) ON CONFLICT DO NOTHING")) {
                ps.setString(1, tokenSha256);
                ps.executeUpdate();
            }
            return null;
        });
    }

    public boolean tokenKnown(String tokenSha256) throws SQLException {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM api_tokens WHERE token_sha256 = ?")) {
                ps.setString(1, tokenSha256);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    public List<Map<String, Object>> servers(String nameOrNull) throws SQLException {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id, name, url, description FROM servers WHERE (?::text IS NULL OR name = ?) ORDER BY id")) {
                ps.setString(1, nameOrNull);
                ps.setString(2, nameOrNull);
                return rows(ps);
            }
        });
    }

    public Map<String, Object> createServer(String name, String url, String description, List<ToolSpec> tools)
            throws SQLException {
        Database.Work<Map<String, Object>> work = c -> {
            Map<String, Object> server;
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO servers(name, url, description) VALUES (?, ?, ?) RETURNING id, name, url, description")) {
                ps.setString(1, name);
                ps.setString(2, url);
                ps.setString(3, description);
                server = rows(ps).get(0);
            }
            List<Map<String, Object>> created = new ArrayList<>();
            for (ToolSpec tool : tools) {
                created.add(insertTool(c, tool, (Long) server.get("id")));
            }
            server.put("tools", created);
            return server;
        };
        // The defect writes statement by statement: a drop between them leaves a server without its tools.
        return config.has(Defect.NON_ATOMIC_WRITE) ? db.write(work) : db.transaction(work);
    }

    public List<Map<String, Object>> tools() throws SQLException {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT t.id, t.name, t.url, s.name AS server FROM tools t LEFT JOIN servers s ON s.id = t.server_id "
                            + "ORDER BY t.id")) {
                return rows(ps);
            }
        });
    }

    public Map<String, Object> createTool(ToolSpec tool) throws SQLException {
        return db.transaction(c -> insertTool(c, tool, null));
    }

    /** Updates the servers in the order given, in one transaction: two such calls in opposite order can deadlock. */
    public int updateDescriptions(List<DescriptionUpdate> updates) throws SQLException {
        return db.transaction(c -> {
            int n = 0;
            try (PreparedStatement ps = c.prepareStatement("UPDATE servers SET description = ? WHERE name = ?")) {
                for (DescriptionUpdate u : updates) {
                    ps.setString(1, u.description());
                    ps.setString(2, u.name());
                    if (ps.executeUpdate() == 0) {
                        throw new UnknownServer(u.name());
                    }
                    n++;
                }
            }
            return n;
        });
    }

    private static Map<String, Object> insertTool(Connection c, ToolSpec tool, Long serverId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO tools(name, url, server_id) VALUES (?, ?, ?) RETURNING id, name, url")) {
            ps.setString(1, tool.name());
            ps.setString(2, tool.url());
            if (serverId == null) {
                ps.setNull(3, java.sql.Types.BIGINT);
            } else {
                ps.setLong(3, serverId);
            }
            return rows(ps).get(0);
        }
    }

    private static List<Map<String, Object>> rows(PreparedStatement ps) throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= columns; i++) {
                    row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
                }
                out.add(row);
            }
        }
        return out;
    }
}
