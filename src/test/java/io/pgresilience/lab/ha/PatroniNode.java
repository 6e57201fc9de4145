package io.pgresilience.lab.ha;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgresilience.lab.Deadlines;
import io.pgresilience.lab.DbNode;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.lab.NetworkPlace;
import io.pgresilience.lab.PgBinaries;
import io.pgresilience.lab.SqlVerbs;
import io.pgresilience.lab.StopMode;
import io.pgresilience.support.Command;
import io.pgresilience.support.LabException;
import io.pgresilience.support.OsUser;
import io.pgresilience.support.Wait;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * A PostgreSQL server managed by its own Patroni (Debian's patroni): Patroni starts it, makes it the leader or a
 * replica, fails it over and rebuilds it. The suite's verbs say what happens to the server and leave the decisions to
 * Patroni: a crash is a crash (Patroni fails over, {@code primary_start_timeout: 0}); an orderly stop is the operator's
 * maintenance (Patroni paused first, so that it neither restarts the server nor fails over); "promote" waits for
 * Patroni to elect this node.
 */
public final class PatroniNode extends SqlVerbs {

    public static final String SUPERUSER = "postgres";

    private final String name;
    private final int port;
    private final int restPort;
    private final Path home;
    private final Path data;
    private final Path config;
    private final PgBinaries bin;
    private final OsUser user;
    private final String password;
    private final PatroniApi api;
    private final LabProcess patroni;
    private final NetworkPlace place;
    private final String host;

    /** @param place the host it runs on (kernel faults: a network namespace with its own address), null for loopback */
    PatroniNode(String name, int port, int restPort, Path home, PgBinaries bin, OsUser user, String superuserPassword,
                Deadlines deadlines, LabDirectory directory, NetworkPlace place) {
        super(deadlines);
        this.place = place;
        this.host = place == null ? "127.0.0.1" : place.address();
        this.name = name;
        this.port = port;
        this.restPort = restPort;
        this.home = home;
        this.data = home.resolve("data");
        this.config = home.resolve("patroni.yml");
        this.bin = bin;
        this.user = user;
        this.password = superuserPassword;
        this.api = new PatroniApi(host, restPort, deadlines.operation(), place == null ? null : place.observerSource());
        this.patroni = new LabProcess("patroni-" + name, List.of(PatroniCluster.locate().toString(), config.toString()),
                home.resolve("patroni.log"), directory, user, place);
    }

    /** Writes its patroni.yml; the passwords stay in the lab's directory (mode 0700, the lab user's), never in a log. */
    void configure(String yaml) {
        try {
            Files.createDirectories(home);
            Files.writeString(config, yaml, StandardCharsets.UTF_8);
            user.own(home);
            Command.of("chmod", "-R", "go-rwx", home.toString()).check("chmod " + home);
        } catch (IOException e) {
            throw new LabException("cannot write " + config + ": " + e.getMessage(), e);
        }
    }

    void launch() {
        patroni.start();
    }

    /** Patroni itself runs (it may have been stopped, or its process died with a killed run). */
    void ensureManaged() {
        if (!patroni.isAlive()) {
            launch();
        }
    }

    PatroniApi api() {
        return api;
    }

    int restPort() {
        return restPort;
    }

    Path data() {
        return data;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String host() {
        return host;
    }

    /** Where it lives: a host of its own (kernel faults), or null for this host's loopback. */
    NetworkPlace place() {
        return place;
    }

    @Override
    public int port() {
        return port;
    }

    /** Its state as Patroni reports it ("running", "stopped", "starting", …) with its role, or why it does not answer. */
    String state() {
        try {
            JsonNode s = api.get("/patroni");
            return s.path("state").asText("?") + " as " + s.path("role").asText("?") + (s.path("pause").asBoolean(false) ? " (paused)" : "");
        } catch (LabException e) {
            return "Patroni does not answer";
        }
    }

    /**
     * The server runs again: after a maintenance stop it is started by hand with the options Patroni gave it (from
     * postmaster.opts, as {@code pg_ctl restart} does) and Patroni is resumed; otherwise Patroni starts it.
     */
    @Override
    public void start() {
        ensureManaged();
        if (isRunning()) {
            return;
        }
        if (paused()) {
            Command.Result r = pg("pg_ctl", "-D", data.toString(), "-l", patroni.log().toString(), "-w", "-t",
                    Long.toString(deadlines.operation().toSeconds()), "restart").run();
            if (!r.ok()) {
                throw new LabException("PostgreSQL node " + name + " did not start: " + Command.lastLines(r.output(), 4));
            }
            Wait.until("Patroni on " + name + " sees its server running", deadlines.operation(), deadlines.poll(),
                    this::state, s -> s.startsWith("running"));
            api.patchConfig("{\"pause\": false}");
        }
        Wait.until(name + " accepts connections", deadlines.operation(), deadlines.poll(), () -> {
            patroni.checkAlive("starting " + name);
            return isRunning() && accepts();
        }, Boolean.TRUE::equals);
    }

    private boolean paused() {
        try {
            return api.get("/patroni").path("pause").asBoolean(false);
        } catch (LabException e) {
            return false;
        }
    }

    private boolean accepts() {
        try (Connection c = connect("postgres")) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    /**
     * FAST: the operator's maintenance — Patroni paused (so it neither restarts the server nor fails over), then an
     * orderly shutdown. IMMEDIATE: a crash; Patroni notices and fails over to the standby.
     */
    @Override
    public void stop(StopMode mode) {
        if (mode != StopMode.IMMEDIATE) {
            api.patchConfig("{\"pause\": true}");
            Wait.until("Patroni on " + name + " is paused", deadlines.operation(), deadlines.poll(), this::paused, Boolean.TRUE::equals);
        }
        pgCtlStop(data, mode);
    }

    /** Patroni restarts the server (POST /restart), as an operator's patronictl restart. */
    @Override
    public void restart() {
        ensureManaged();
        api.post("/restart", "{}");
        Wait.until(name + " accepts connections after its restart", deadlines.operation(), deadlines.poll(),
                () -> isRunning() && accepts(), Boolean.TRUE::equals);
    }

    /**
     * Nobody promotes by hand here: waits until Patroni has elected this node and its server accepts writes
     * (GET /primary answers 200), within the lab's deadline; says who Patroni chose instead otherwise.
     */
    @Override
    public void promote() {
        Integer status = Wait.until("Patroni elects " + name + " leader", deadlines.operation(), deadlines.poll(),
                () -> {
                    patroni.checkAlive("electing a leader");
                    return api.status("/primary");
                }, s -> s == 200, false);
        if (status == null || status != 200) {
            throw new LabException("Patroni did not make " + name + " the leader within " + deadlines.operation().toMillis()
                    + " ms; " + name + " is " + state());
        }
        Wait.until(name + " accepts writes", deadlines.operation(), deadlines.poll(), () -> !isInRecovery(), Boolean.TRUE::equals);
    }

    @Override
    public String howPromoted() {
        return log().lines().filter(l -> l.contains("promoted self to leader") || l.contains("manual failover: promot"))
                .reduce((a, b) -> b).map(l -> "by Patroni: " + l.strip()).orElse("by Patroni");
    }

    @Override
    public boolean isRunning() {
        return Files.exists(data.resolve("PG_VERSION")) && pg("pg_ctl", "-D", data.toString(), "status").run().ok();
    }

    /** Patroni rebuilds it from the leader (POST /reinitialize: a fresh base backup), as patronictl reinit does. */
    @Override
    public void rebuildAsStandbyOf(DbNode primary, InetSocketAddress streamFrom) {
        ensureManaged();
        stopOrphanedServers();
        Wait.until("Patroni on " + name + " takes a reinitialize", deadlines.operation(), deadlines.poll(), () -> {
            try {
                api.post("/reinitialize", "{\"force\": true}");
                return true;
            } catch (LabException e) {
                return false;
            }
        }, Boolean.TRUE::equals);
    }

    @Override
    public Connection connect(String database) throws SQLException {
        return superuserConnection(host, port, password, database, place == null ? null : place.observerSource());
    }

    /** Patroni's log, with its PostgreSQL's own lines (Patroni passes the server's output through). */
    @Override
    public String log() {
        try {
            return Files.exists(patroni.log()) ? Files.readString(patroni.log(), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    String tail(int lines) {
        return patroni.tail(lines);
    }

    /** Patroni first (it would restart the server), then the server, then its data. */
    /**
     * Stops a server running on this node's data directory that is not the one its postmaster.pid names: Patroni 3.0.2
     * can lose one when a demotion it runs in the background (etcd out of reach) and its main loop both start the server
     * (the second start fails on the lock file, and Patroni records that one's pid); it then rewinds, rebuilds and starts
     * beside the orphan, which holds the port, and the node never streams again. Said in the scenario's log.
     */
    void stopOrphanedServers() {
        long recorded = -1;
        try {
            List<String> pidFile = Files.readAllLines(data.resolve("postmaster.pid"));
            recorded = pidFile.isEmpty() ? -1 : Long.parseLong(pidFile.get(0).trim());
        } catch (IOException | NumberFormatException e) {
            // no server recorded: every server on this directory is an orphan
        }
        long mine = recorded;
        String dir = data.toString();
        ProcessHandle.allProcesses()
                .filter(h -> h.pid() != mine)
                .filter(h -> h.info().commandLine().map(c -> c.contains("bin/postgres") && c.contains(dir) && !c.contains("--single")).orElse(false))
                .filter(h -> h.parent().map(p -> p.info().commandLine().map(c -> !c.contains("bin/postgres")).orElse(true)).orElse(true))
                .forEach(h -> {
                    System.err.println("pg-resilience: " + name + ": stopping a server Patroni lost track of (pid " + h.pid()
                            + (mine < 0 ? ", no postmaster.pid names one)" : ", postmaster.pid names " + mine + ")"));
                    Command.of("kill", "-QUIT", Long.toString(h.pid())).run();
                    Wait.until("the lost server " + h.pid() + " of " + name + " exits", deadlines.operation(), deadlines.poll(),
                            h::isAlive, Boolean.FALSE::equals);
                });
    }

    /** Patroni on this node hangs (true: SIGSTOP, its PostgreSQL keeps running) or goes on (false). */
    void setPatroniFrozen(boolean frozen) {
        patroni.setFrozen(frozen, "bin/patroni");
    }

    void teardown() {
        patroni.close();
        if (Files.exists(data.resolve("postmaster.pid"))) {
            pg("pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "-t", "10", "stop").run();
        }
        stopOrphanedServers(); // one Patroni lost track of is no child of it any more, and no pid file names it
        if (Files.exists(home)) {
            Command.of("rm", "-rf", home.toString()).check("removing " + home);
        }
    }

    @Override
    protected Command pg(String program, String... args) {
        List<String> argv = new ArrayList<>();
        argv.add(bin.path(program));
        argv.addAll(List.of(args));
        List<String> command = user.wrap(argv);
        return Command.of(place == null ? command : place.enter(command)).timeout(deadlines.operation().plusSeconds(10));
    }

    @Override
    public String toString() {
        return name + "@" + host + ":" + port;
    }
}
