package io.pgresilience.lab.containers;

import io.pgresilience.support.Wait;
import org.testcontainers.containers.wait.strategy.LogMessageWaitStrategy;
import java.sql.ResultSet;
import java.sql.Statement;


import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import io.pgresilience.support.LabException;
import io.pgresilience.lab.SqlVerbs;
import io.pgresilience.lab.DbNode;
import io.pgresilience.lab.StopMode;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * A PostgreSQL server in a container. PostgreSQL is the container's PID 1, so the node's verbs act on the
 * container: stop is a signal to it (SIGINT = pg_ctl's fast mode, SIGQUIT = immediate), start starts it again.
 * Its host port is fixed for the whole run, so the fault proxies in front of it stay valid when it is rebuilt.
 */
final class ContainerNode extends SqlVerbs {

    static final String SUPERUSER = "postgres";
    static final int POSTGRES_PORT = 5432;

    /**
     * Runs once, at initdb (a standby copies the result with its base backup): the embedded node's settings, and
     * replication connections from anywhere (the official image allows them from localhost only).
     */
    private static final String LAB_SETTINGS = """
            #!/bin/sh
            cat >> "$PGDATA/postgresql.conf" <<'EOF'

            # pg-resilience lab node
            max_connections = 100
            shared_buffers = 32MB
            fsync = off
            wal_level = replica
            max_wal_senders = 10
            wal_keep_size = 256MB
            hot_standby = on
            wal_receiver_status_interval = 1s
            wal_retrieve_retry_interval = 500ms
            deadlock_timeout = 200ms
            log_lock_waits = on
            log_line_prefix = '%m [%p] %q%u@%d '
            EOF
            echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
            """;

    /**
     * A standby's entrypoint, for our image and the official one alike: a base backup of the primary on first start
     * (as root; the image's entrypoint then hands the files to postgres), streaming through the given address.
     * Secrets come from the environment, never from the command line.
     */
    private static final String STANDBY_ENTRYPOINT = """
            set -eu
            if [ ! -s "$PGDATA/PG_VERSION" ]; then
              echo "pg-resilience: base backup of $PGR_BACKUP_FROM for standby $PGR_NODE"
              mkdir -p "$PGDATA"
              pg_basebackup -h "$PGR_BACKUP_FROM" -p 5432 -U postgres -D "$PGDATA" -X stream -c fast --no-sync
              printf "primary_conninfo = 'host=%s port=%s user=postgres password=%s application_name=%s'\\n" \\
                "$PGR_STREAM_HOST" "$PGR_STREAM_PORT" "$PGPASSWORD" "$PGR_NODE" >> "$PGDATA/postgresql.auto.conf"
              touch "$PGDATA/standby.signal"
            fi
            unset PGPASSWORD
            exec docker-entrypoint.sh "$@"
            """;

    private final String name;
    private final int hostPort;
    private final NodeBlueprint blueprint;
    private final StringBuilder earlierLogs = new StringBuilder();
    private PostgreSQLContainer container;

    ContainerNode(String name, int hostPort, NodeBlueprint blueprint) {
        super(blueprint.deadlines());
        this.name = name;
        this.hostPort = hostPort;
        this.blueprint = blueprint;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String host() {
        return blueprint.engine().host();
    }

    @Override
    public int port() {
        return hostPort;
    }

    /** A new primary: the image's entrypoint runs initdb. */
    void createPrimary() {
        launch(newContainer().waitingFor(new LogMessageWaitStrategy().withRegEx(".*database system is ready to accept connections.*\\s").withTimes(2)
                .withStartupTimeout(deadlines.operation())));
    }

    /** Replaces this node's container by a standby of the primary, from a fresh base backup (initFromBackup). */
    @Override
    public void rebuildAsStandbyOf(DbNode primary, InetSocketAddress streamFrom) {
        remove();
        launch(newContainer()
                .withEnv("PGPASSWORD", blueprint.superuserPassword())
                .withEnv("PGR_BACKUP_FROM", primary.name())
                .withEnv("PGR_STREAM_HOST", streamFrom.getHostString())
                .withEnv("PGR_STREAM_PORT", Integer.toString(streamFrom.getPort()))
                .withEnv("PGR_NODE", name)
                .withCreateContainerCmdModifier(cmd -> cmd.withEntrypoint("bash", "-c", STANDBY_ENTRYPOINT, "standby"))
                .waitingFor(new LogMessageWaitStrategy().withRegEx(".*database system is ready to accept read-only connections.*\\s").withTimes(1)
                        .withStartupTimeout(deadlines.operation())));
    }

    private PostgreSQLContainer newContainer() {
        PostgreSQLContainer c = new PostgreSQLContainer(blueprint.image())
                .withUsername(SUPERUSER)
                .withPassword(blueprint.superuserPassword())
                .withDatabaseName("postgres")
                .withNetwork(blueprint.network())
                .withNetworkAliases(name)
                .withLabels(blueprint.labels().map())
                .withCopyToContainer(Transferable.of(LAB_SETTINGS, 0755), "/docker-entrypoint-initdb.d/10-pg-resilience.sh")
                // The host's PID namespace: backend PIDs stay unique across restarts, as the suite expects when it
                // tells new sessions from old ones (a container's own namespace starts again at 1 on every start).
                .withCreateContainerCmdModifier(cmd -> cmd.withName(blueprint.labels().name(name))
                        .getHostConfig().withPidMode("host"));
        // Only what differs per node is on the command line: the file's settings must not be overridden there, or
        // every reload complains that shared_buffers "cannot be changed".
        c.setCommand("postgres", "-c", "cluster_name=" + name);
        c.setPortBindings(List.of(bindAddress() + hostPort + ":" + POSTGRES_PORT));
        if (!blueprint.engine().podman()) {
            // podman adds host.containers.internal by itself; Docker on Linux needs it spelled out
            c.withExtraHost(blueprint.hostAlias(), "host-gateway");
        }
        return c;
    }

    /** Published on loopback only, unless the engine's ports are reached elsewhere. */
    private String bindAddress() {
        String host = host();
        return host.equals("127.0.0.1") || host.equals("localhost") ? "127.0.0.1:" : "";
    }

    private void launch(PostgreSQLContainer fresh) {
        try {
            fresh.start();
            container = fresh;
        } catch (RuntimeException e) {
            String log = logsOf(fresh);
            earlierLogs.append(log);
            fresh.stop();
            throw new LabException("PostgreSQL node " + name + " did not start in its container (" + blueprint.image() + "): "
                    + LogTail.of(log + " " + e.getMessage(), 4), e);
        }
    }

    @Override
    public void start() {
        requireContainer("start");
        if (!isRunning()) {
            client().startContainerCmd(container.getContainerId()).exec();
        }
        boolean up = Wait.until(name + " accepts connections", deadlines.operation(), deadlines.poll(), () -> {
            if (!isRunning()) {
                throw new Wait.GiveUp(new LabException("PostgreSQL node " + name + " exited while starting: "
                        + LogTail.of(logsOf(container), 4)));
            }
            return acceptsConnections();
        }, Boolean.TRUE::equals, false);
        if (!up) {
            throw new LabException("PostgreSQL node " + name + " did not start on port " + hostPort + " within "
                    + deadlines.operation().toSeconds() + " s: " + LogTail.of(logsOf(container), 4));
        }
    }

    private boolean acceptsConnections() {
        try (Connection c = connect("postgres")) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void stop(StopMode mode) {
        requireContainer("stop");
        if (!isRunning()) {
            throw new LabException("stopping " + name + ": the server is not running");
        }
        // What pg_ctl -m fast|immediate sends to the postmaster, here the container's main process.
        client().killContainerCmd(container.getContainerId()).withSignal(mode == StopMode.FAST ? "SIGINT" : "SIGQUIT").exec();
        if (mode == StopMode.IMMEDIATE && !stopsWithin(blueprint.immediateStopGrace())) {
            // An immediate shutdown still waits for "dead-end" backends, which PostgreSQL never signals: one whose
            // startup packet a fault proxy swallows (a standby reconnecting through a cut replication link) keeps
            // the server up for authentication_timeout. The scenario wants a crash: it gets one.
            System.err.println("pg-resilience: " + name + " still up " + blueprint.immediateStopGrace().toMillis()
                    + " ms after SIGQUIT (a connection waits in authentication); SIGKILL to its container");
            client().killContainerCmd(container.getContainerId()).withSignal("SIGKILL").exec();
        }
        if (!stopsWithin(deadlines.operation())) {
            throw new LabException("stopping " + name + " (" + mode.pgCtl() + "): still running after "
                    + deadlines.operation().toSeconds() + " s");
        }
    }

    private boolean stopsWithin(Duration within) {
        return Wait.until(name + " stops", within, deadlines.poll(), () -> !isRunning(), Boolean.TRUE::equals, false);
    }

    @Override
    public void restart() {
        stop(StopMode.FAST);
        start();
    }

    @Override
    public void promote() {
        long waitSeconds = deadlines.operation().toSeconds();
        try (Connection c = connect("postgres", waitSeconds + 10);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_promote(true, " + waitSeconds + ")")) {
            if (!rs.next() || !rs.getBoolean(1)) {
                throw new LabException("promoting " + name + ": not promoted within " + waitSeconds + " s");
            }
        } catch (SQLException e) {
            throw new LabException("promoting " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean isRunning() {
        if (container == null || container.getContainerId() == null) {
            return false;
        }
        try {
            InspectContainerResponse info = client().inspectContainerCmd(container.getContainerId()).exec();
            return info.getState() != null && Boolean.TRUE.equals(info.getState().getRunning());
        } catch (NotFoundException e) {
            return false;
        }
    }

    @Override
    public Connection connect(String database) throws SQLException {
        return connect(database, 30);
    }

    private Connection connect(String database, long socketTimeoutSeconds) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", SUPERUSER);
        props.setProperty("password", blueprint.superuserPassword());
        props.setProperty("connectTimeout", "3");
        props.setProperty("socketTimeout", Long.toString(socketTimeoutSeconds));
        props.setProperty("ApplicationName", "pg-resilience-lab");
        return DriverManager.getConnection("jdbc:postgresql://" + host() + ":" + hostPort + "/" + database, props);
    }

    /** The server log of every container this node has had, oldest first (it only grows, as a log file does). */
    @Override
    public String log() {
        return earlierLogs + logsOf(container);
    }

    /** Removes the container and its data; the node can be created anew. */
    void remove() {
        if (container == null) {
            return;
        }
        earlierLogs.append(logsOf(container));
        container.stop();
        container = null;
    }

    private static String logsOf(PostgreSQLContainer c) {
        if (c == null || c.getContainerId() == null) {
            return "";
        }
        try {
            return c.getLogs();
        } catch (RuntimeException e) {
            return "";
        }
    }

    private void requireContainer(String verb) {
        if (container == null) {
            throw new LabException("cannot " + verb + " " + name + ": it has no container (being rebuilt?)");
        }
    }

    private DockerClient client() {
        return blueprint.engine().client();
    }

    @Override
    public String toString() {
        return name + "@" + host() + ":" + hostPort;
    }
}
