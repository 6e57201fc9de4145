package io.pgresilience.lab;

import io.pgresilience.support.LabException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * A database session outside the gateway (like a DBA's psql) that takes locks in an open transaction, so that
 * the gateway's own queries wait. Releasing it commits; closing it always releases.
 */
public final class OutsideSession implements AutoCloseable {

    private final Connection connection;

    private OutsideSession(Connection connection) {
        this.connection = connection;
    }

    public static OutsideSession open(DbNode node, String database) {
        try {
            Connection c = node.connect(database);
            c.setAutoCommit(false);
            return new OutsideSession(c);
        } catch (SQLException e) {
            throw new LabException("cannot open an outside session on " + node.name() + ": " + e.getMessage(), e);
        }
    }

    /** LOCK TABLE ... IN ACCESS EXCLUSIVE MODE: every reader and writer of the table waits. */
    public OutsideSession lockTable(String table) {
        return run("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
    }

    /** SELECT ... FOR UPDATE on the named rows: writers of those rows wait. */
    public OutsideSession lockRows(String table, List<String> names) {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT id FROM " + table + " WHERE name = ANY (?) FOR UPDATE")) {
            ps.setArray(1, connection.createArrayOf("text", names.toArray()));
            ps.executeQuery().close();
            return this;
        } catch (SQLException e) {
            throw new LabException("outside session could not lock rows " + names + ": " + e.getMessage(), e);
        }
    }

    private OutsideSession run(String sql) {
        try (Statement st = connection.createStatement()) {
            st.execute(sql);
            return this;
        } catch (SQLException e) {
            throw new LabException("outside session: " + e.getMessage() + " [" + sql + "]", e);
        }
    }

    /** Ends the transaction: the locks go. */
    public void release() {
        try {
            if (!connection.isClosed()) {
                connection.commit();
            }
        } catch (SQLException e) {
            throw new LabException("outside session could not release its locks: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            if (!connection.isClosed()) {
                connection.rollback();
                connection.close();
            }
        } catch (SQLException ignored) {
            // the server may be gone; its locks went with it
        }
    }
}
