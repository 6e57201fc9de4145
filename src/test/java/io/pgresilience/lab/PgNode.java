package io.pgresilience.lab;

import io.pgresilience.support.Wait;
import java.net.InetSocketAddress;
import java.util.Map;
import io.pgresilience.support.OsUser;
import io.pgresilience.support.LabException;
import io.pgresilience.support.Command;


import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * A PostgreSQL server run from the machine's own binaries, with its data under the lab directory.
 * The verbs follow {@code PostgreSQL::Test::Cluster}: init, start, stop, restart, backup, initFromBackup,
 * promote, waitForCatchup, pollQueryUntil.
 */
public final class PgNode extends SqlVerbs {

    public static final String SUPERUSER = "postgres";
    private static final String HOST = "127.0.0.1";

    private final String name;
    private final Path home;
    private final Path data;
    private final Path logFile;
    private final int port;
    private final PgBinaries bin;
    private final OsUser user;
    private final String password;
    private NetworkPlace place;

    public PgNode(String name, Path home, int port, PgBinaries bin, OsUser user, String superuserPassword,
                  Deadlines deadlines) {
        super(deadlines);
        this.name = name;
        this.home = home;
        this.data = home.resolve("data");
        this.logFile = home.resolve("postgresql.log");
        this.port = port;
        this.bin = bin;
        this.user = user;
        this.password = superuserPassword;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String host() {
        return place == null ? HOST : place.address();
    }

    /** The node lives in a place of its own on a network instead of on loopback; before it is initialised. */
    public PgNode placeIn(NetworkPlace where) {
        this.place = where;
        return this;
    }

    @Override
    public int port() {
        return port;
    }

    /** The settings every lab node shares: loopback TCP only, replication, short lock waits. */
    static final String SETTINGS = """

            # pg-resilience lab node
            listen_addresses = '127.0.0.1'
            unix_socket_directories = ''
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
            """;
    static final String HBA = """
            host all         all 127.0.0.1/32 scram-sha-256
            host replication all 127.0.0.1/32 scram-sha-256
            """;

    /** initdb's options; 1 MB WAL segments instead of 16, since a lab's data is copied from a template and most of it was WAL. */
    static final String INITDB = "--auth=scram-sha-256 -E UTF8 --locale=C --no-sync --wal-segsize=1";

    /** initdb, then the settings every lab node shares. */
    public PgNode init() {
        mkdirs();
        Path pwfile = home.resolve("pwfile");
        write(pwfile, password + "\n", false);
        user.own(home);
        try {
            List<String> args = new ArrayList<>(List.of("-D", data.toString(), "-U", SUPERUSER, "--pwfile=" + pwfile));
            args.addAll(List.of(INITDB.split(" ")));
            pg("initdb", args.toArray(new String[0])).check("initdb for " + name);
        } finally {
            deleteQuietly(pwfile);
        }
        write(data.resolve("postgresql.conf"), SETTINGS + nodeSettings(), true);
        write(data.resolve("pg_hba.conf"), HBA, false);
        return this;
    }

    /** This node's data starts as a copy of a template cluster (stopped), with this node's port and name. */
    public PgNode initFromTemplate(Path template) {
        deleteTree(data);
        mkdirs();
        user.own(home);
        Command.of(user.wrap(List.of("cp", "-a", template.toString(), data.toString()))).check("copying the template into " + name);
        write(data.resolve("postgresql.conf"), nodeSettings(), true);
        admitPlaceNetwork();
        return this;
    }

    /**
     * Sets role passwords while the node is stopped (PostgreSQL's single-user mode, statements on its standard input):
     * a template carries none, and no password of this run ever reaches a command line or a log.
     */
    public void setPasswordsOffline(Map<String, String> passwords) {
        StringBuilder sql = new StringBuilder();
        passwords.forEach((role, pw) -> sql.append("ALTER ROLE ").append(role).append(" PASSWORD '").append(pw).append("';\n"));
        Command.Result r = Command.of(user.wrap(List.of(bin.path("postgres"), "--single", "-D", data.toString(), "postgres")))
                .input(sql.toString()).timeout(deadlines.operation()).run();
        if (!r.ok() || r.output().contains("ERROR")) {
            // The output may echo the statements: only its first word goes into the message.
            throw new LabException("setting the role passwords of " + name + " in single-user mode failed (exit " + r.exitCode() + ")");
        }
    }

    private String nodeSettings() {
        return "port = " + port + "\ncluster_name = '" + name + "'\n"
                // every address of its place: its own, and a VIP that may move to it
                + (place == null ? "" : "listen_addresses = '*'\n");
    }

    /** A placed node admits its network's peers (the template's pg_hba.conf admits loopback only). */
    private void admitPlaceNetwork() {
        if (place != null) {
            write(data.resolve("pg_hba.conf"), "host all         all " + place.network() + " scram-sha-256\n"
                    + "host replication all " + place.network() + " scram-sha-256\n", true);
        }
    }

    @Override
    public void start() {
        Command start = pg("pg_ctl", "-D", data.toString(), "-l", logFile.toString(), "-w",
                "-t", Long.toString(deadlines.operation().toSeconds()), "start");
        // A placed node's server is started inside its place: its sockets live on the place's network.
        Command.Result r = (place == null ? start : Command.of(place.enter(start.argv()))
                .timeout(deadlines.operation().plusSeconds(10))).run();
        if (!r.ok()) {
            throw new LabException("PostgreSQL node " + name + " did not start on " + host() + ":" + port + ": "
                    + Command.lastLines(r.output() + "\n" + tail(logFile, 4), 6));
        }
    }

    @Override
    public void stop(StopMode mode) {
        pgCtlStop(data, mode);
    }

    @Override
    public void restart() {
        stop(StopMode.FAST);
        start();
    }

    @Override
    public boolean isRunning() {
        return Files.exists(data) && pg("pg_ctl", "-D", data.toString(), "status").run().ok();
    }

    /** A base backup of this (running) node, stored beside it, as PostgreSQL::Test::Cluster's backup does. */
    public Path backup(String backupName) {
        Path target = home.resolveSibling("backups").resolve(name + "-" + backupName);
        deleteTree(target);
        mkdirs(target.getParent());
        user.own(target.getParent());
        Command.of(user.wrap(List.of(bin.path("pg_basebackup"), "-h", host(), "-p", Integer.toString(port),
                        "-U", SUPERUSER, "-D", target.toString(), "-X", "stream", "-c", "fast", "--no-sync")))
                .env(Map.of("PGPASSWORD", password))
                .timeout(deadlines.operation())
                .check("pg_basebackup from " + name);
        return target;
    }

    /**
     * Makes this node a streaming standby of root, from a backup of root (has_streaming in the Perl API); it
     * streams from the given address, which may be a fault proxy in front of root.
     */
    public PgNode initFromBackup(Path backup, String streamHost, int streamPort) {
        if (isRunning()) {
            stop(StopMode.IMMEDIATE);
        }
        deleteTree(data);
        mkdirs();
        user.own(home);
        Command.of(user.wrap(List.of("cp", "-a", backup.toString(), data.toString()))).check("restoring backup into " + name);
        write(data.resolve("postgresql.conf"), nodeSettings(), true);
        admitPlaceNetwork();
        write(data.resolve("postgresql.auto.conf"), "primary_conninfo = 'host=" + streamHost + " port=" + streamPort
                + " user=" + SUPERUSER + " password=" + password + " application_name=" + name + "'\n", true);
        write(data.resolve("standby.signal"), "", false);
        deleteQuietly(data.resolve("postmaster.pid"));
        user.own(data);
        return this;
    }

    @Override
    public void rebuildAsStandbyOf(DbNode primary, InetSocketAddress streamFrom) {
        PgNode root = (PgNode) primary;
        if (isRunning()) {
            stop(StopMode.IMMEDIATE);
        }
        initFromBackup(root.backup("rebuild"), streamFrom.getHostString(), streamFrom.getPort()).start();
    }

    @Override
    public void promote() {
        pg("pg_ctl", "-D", data.toString(), "-w", "-t", Long.toString(deadlines.operation().toSeconds()), "promote")
                .check("promoting " + name);
    }

    @Override
    public Connection connect(String database) throws SQLException {
        return superuserConnection(host(), port, password, database, place == null ? null : place.observerSource());
    }

    @Override
    public String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** Stops the server at once and removes its data: nothing of this node stays behind. */
    public void teardown() {
        if (Files.exists(data.resolve("postmaster.pid"))) {
            pg("pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "-t", "10", "stop").run();
        }
        deleteTree(home);
    }

    @Override
    protected Command pg(String program, String... args) {
        List<String> argv = new ArrayList<>();
        argv.add(bin.path(program));
        argv.addAll(List.of(args));
        return Command.of(user.wrap(argv)).timeout(deadlines.operation().plusSeconds(10));
    }

    private void mkdirs() {
        mkdirs(home);
    }

    private static void mkdirs(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new LabException("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void write(Path file, String text, boolean append) {
        try {
            if (append) {
                Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } else {
                Files.writeString(file, text, StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new LabException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static String tail(Path file, int lines) {
        try {
            return Files.exists(file) ? Command.lastLines(Files.readString(file), lines) : "";
        } catch (IOException e) {
            return "";
        }
    }

    static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // best effort
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        Command.of("rm", "-rf", dir.toString()).check("removing " + dir);
    }

    @Override
    public String toString() {
        return name + "@" + host() + ":" + port;
    }
}
