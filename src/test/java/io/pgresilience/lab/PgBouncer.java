package io.pgresilience.lab;

import io.pgresilience.support.Command;
import io.pgresilience.support.LabException;
import io.pgresilience.support.OsUser;
import io.pgresilience.support.Ports;
import io.pgresilience.support.Wait;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * PgBouncer (Debian's {@code pgbouncer}) in transaction pool mode in front of the primary, with the settings of
 * ContextForge's docker-compose.yml (its waits shortened in proportion to the suite's deadlines, every value in the run
 * context). Runs as the lab's OS user from a configuration in the lab's directory; its pid is recorded so a later run
 * stops it after a SIGKILL. Re-pointed on failover by rewriting its [databases] entry and RELOAD on its admin console
 * (through psql: the console speaks only the simple protocol, and pgjdbc's set-up queries are refused there).
 *
 * <p>Supervised like ContextForge's compose runs it ({@code restart: unless-stopped}): when it exits on its own it is
 * started again from the same configuration on the same port, and the exit (with the last line it logged) is reported
 * to whoever listens, the scenario's evidence. PgBouncer 1.18 can die on a cancel request whose client gave up first
 * ({@code FATAL ... disconnect_client(): bad client state: 0}, pgbouncer#801, fixed in 1.19.0); pgjdbc's query
 * timeouts send such cancel requests during a partition.
 */
public final class PgBouncer implements Pooler {

    private static final String ADMIN = "pgr_admin";
    /** A crash loop is not supervised for ever: after this many restarts in one lab, an exit stands. */
    private static final int MAX_RESTARTS = 10;
    private static final List<Path> BINARIES = List.of(Path.of("/usr/sbin/pgbouncer"), Path.of("/usr/bin/pgbouncer"),
            Path.of("/usr/local/bin/pgbouncer"));

    private final Path binary;
    private final OsUser user;
    private final boolean restartOnExit;
    private final LabDirectory directory;
    private final Path ini;
    private final Map<String, String> settings;
    private final String database;
    private final String adminPassword;
    private final int port;
    private final String version;
    private final Deadlines deadlines;
    private final String psql;
    private final NetworkPlace place;
    private String upstream;
    private volatile Process process;
    private volatile boolean closing;
    private volatile Consumer<String> exits = why -> System.err.println("pg-resilience: " + why);
    private int restarts;

    private PgBouncer(Path binary, OsUser user, boolean restartOnExit, LabDirectory directory, Path ini,
                      Map<String, String> settings, String database, String adminPassword, int port, String version,
                      Deadlines deadlines, String upstream, String psql, NetworkPlace place) {
        this.binary = binary;
        this.place = place;
        this.user = user;
        this.restartOnExit = restartOnExit;
        this.psql = psql;
        this.directory = directory;
        this.ini = ini;
        this.settings = settings;
        this.database = database;
        this.adminPassword = adminPassword;
        this.port = port;
        this.version = version;
        this.deadlines = deadlines;
        this.upstream = upstream;
    }

    /** The binary named by -Dpgbouncer.bin (blank: Debian's), or one line if it is not there. */
    public static Path locate(String configured) {
        if (configured == null || configured.isBlank()) {
            return locate();
        }
        Path p = Path.of(configured);
        if (!Files.isExecutable(p)) {
            throw new LabException("pgbouncer.bin=" + configured + " is not an executable file (src/test/tools/build-pgbouncer.sh builds 1.24.1)");
        }
        return p;
    }

    /** Its version line, e.g. "PgBouncer 1.24.1". */
    public static String versionOf(Path binary) {
        return Command.of(binary.toString(), "--version").run().output().lines().findFirst().orElse("unknown").strip();
    }

    /** The binary, or one line naming the package that brings it. */
    public static Path locate() {
        return BINARIES.stream().filter(Files::isExecutable).findFirst().orElseThrow(() -> new LabException(
                "topology=pgbouncer needs PgBouncer: not found at " + BINARIES + "; apt-get install pgbouncer"));
    }

    /**
     * Starts PgBouncer on a free loopback port, its one database pointed at {@code upstreamHost:upstreamPort}.
     *
     * @param poolSettings  PgBouncer's settings (pool_mode, timeouts, pool sizes), as the run configures them
     * @param restartOnExit start it again when it exits on its own (compose's {@code restart: unless-stopped})
     */
    public static PgBouncer start(LabDirectory directory, OsUser user, Deadlines deadlines, PgBinaries bin,
                                  Map<String, String> poolSettings, boolean restartOnExit, String database, String role,
                                  String password, String upstreamHost, int upstreamPort) {
        return start(directory, user, deadlines, bin, poolSettings, restartOnExit, database, role, password, upstreamHost,
                upstreamPort, null);
    }

    /**
     * Starts PgBouncer in a place of its own (a host on a network: it listens on the place's address and on the place's
     * loopback, where its admin console is reached from inside the place, out of reach of any fault on the network),
     * or on this host's loopback when {@code place} is null.
     */
    public static PgBouncer start(LabDirectory directory, OsUser user, Deadlines deadlines, PgBinaries bin,
                                  Map<String, String> poolSettings, boolean restartOnExit, String database, String role,
                                  String password, String upstreamHost, int upstreamPort, NetworkPlace place) {
        return start(directory, user, deadlines, bin, poolSettings, restartOnExit, database, role, password, upstreamHost,
                upstreamPort, place, locate());
    }

    /** The same, with a binary of the run's choice (-Dpgbouncer.bin=, a deployment's version). */
    public static PgBouncer start(LabDirectory directory, OsUser user, Deadlines deadlines, PgBinaries bin,
                                  Map<String, String> poolSettings, boolean restartOnExit, String database, String role,
                                  String password, String upstreamHost, int upstreamPort, NetworkPlace place, Path binary) {
        String version = Command.of(binary.toString(), "--version").run().output().lines().findFirst().orElse("PgBouncer").strip();
        Path dir = directory.path().resolve("pgbouncer");
        int port = place == null ? Ports.free() : 6432;
        String adminPassword = EmbeddedCluster.newSecret();
        Map<String, String> settings = new LinkedHashMap<>(poolSettings);
        try {
            Files.createDirectories(dir);
            Path ini = dir.resolve("pgbouncer.ini");
            // Passwords in plain text here (the lab's directory, owned by the lab's user): PgBouncer then logs in to
            // PostgreSQL with SCRAM as the gateway's role, and checks the gateway's password itself.
            Files.writeString(dir.resolve("userlist.txt"), quoted(role) + " " + quoted(password) + "\n"
                    + quoted(ADMIN) + " " + quoted(adminPassword) + "\n");
            String listen = place == null ? "127.0.0.1" : "127.0.0.1," + place.address();
            Files.writeString(ini, ini(database, upstreamHost, upstreamPort, listen, port, dir, settings));
            user.own(dir);
            Command.of("chmod", "-R", "go-rwx", dir.toString()).check("chmod " + dir);
            PgBouncer bouncer = new PgBouncer(binary, user, restartOnExit, directory, ini, settings, database, adminPassword,
                    port, version, deadlines, upstreamHost + ":" + upstreamPort, bin.path("psql"), place);
            bouncer.launch();
            return bouncer;
        } catch (IOException e) {
            throw new LabException("cannot start PgBouncer in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String ini(String database, String upstreamHost, int upstreamPort, String listen, int port, Path dir,
                              Map<String, String> settings) {
        List<String> lines = new ArrayList<>();
        lines.add("[databases]");
        lines.add(database + " = host=" + upstreamHost + " port=" + upstreamPort + " dbname=" + database);
        lines.add("");
        lines.add("[pgbouncer]");
        lines.add("listen_addr = " + listen);
        lines.add("listen_port = " + port);
        lines.add("unix_socket_dir =");
        lines.add("auth_type = scram-sha-256");
        lines.add("auth_file = " + dir.resolve("userlist.txt"));
        lines.add("admin_users = " + ADMIN);
        lines.add("pidfile = " + dir.resolve("pgbouncer.pid"));
        lines.add("logfile =");
        settings.forEach((k, v) -> lines.add(k + " = " + v));
        return String.join("\n", lines) + "\n";
    }

    private static String quoted(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }

    /** Starts the process from its configuration, waits for its console, and watches for it to exit. */
    private void launch() throws IOException {
        List<String> argv = user.wrap(List.of(binary.toString(), ini.toString()));
        ProcessBuilder pb = new ProcessBuilder(place == null ? argv : place.enter(argv))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()));
        io.pgresilience.support.CleanEnvironment.scrub(pb.environment());
        Process p = pb.start();
        process = p;
        directory.registerProcess("pgbouncer", p.toHandle());
        awaitAdminConsole();
        p.onExit().thenRunAsync(() -> exited(p));
    }

    /** It exited: on its own (not closed by the lab) it is reported, then started again if so configured. */
    private synchronized void exited(Process p) {
        if (closing || p != process) {
            return;
        }
        String why = "PgBouncer exited on its own (code " + p.exitValue() + "); its last log line: " + tail(1);
        if (!restartOnExit || ++restarts > MAX_RESTARTS) {
            exits.accept(why + (restartOnExit ? "; not restarted: it already was " + MAX_RESTARTS + " times" : "; not restarted (pooler.restart=no)"));
            return;
        }
        try {
            long t0 = System.nanoTime();
            launch();
            exits.accept(why + "; restarted on port " + port + " in " + (System.nanoTime() - t0) / 1_000_000
                    + " ms (pooler.restart=unless-stopped, as ContextForge's compose runs it)");
        } catch (IOException | RuntimeException e) {
            exits.accept(why + "; could not be restarted: " + e.getMessage());
        }
    }

    @Override
    public void onExit(Consumer<String> report) {
        exits = report;
    }

    @Override
    public boolean isRunning() {
        return process.isAlive();
    }

    /** PgBouncer's own process (under runuser, when the lab runs as root). */
    ProcessHandle pgbouncerProcess() {
        return process.descendants().reduce((a, b) -> b).orElse(process.toHandle());
    }

    /** Whether its admin console answers now. */
    boolean answers() {
        return admin("SHOW VERSION").ok();
    }

    private void awaitAdminConsole() {
        Boolean up = Wait.until("PgBouncer answers on port " + port, deadlines.operation(), deadlines.poll(), () -> {
            if (!process.isAlive()) {
                throw new Wait.GiveUp(new LabException("PgBouncer exited with code " + process.exitValue() + " while starting: "
                        + tail(3)));
            }
            return answers();
        }, Boolean.TRUE::equals, false);
        if (!Boolean.TRUE.equals(up)) {
            close();
            throw new LabException("PgBouncer did not answer on " + host() + ":" + port + " within " + deadlines.operation().toMillis()
                    + " ms: " + tail(3));
        }
    }

    /** One command on its admin console; unaligned output, fields separated by '|'. */
    private Command.Result admin(String command) {
        List<String> argv = List.of(psql, "-X", "-A", "-t", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", ADMIN, "-d",
                "pgbouncer", "-c", command);
        return Command.of(place == null ? argv : place.enter(argv))
                .env(Map.of("PGPASSWORD", adminPassword, "PGCONNECT_TIMEOUT", "2"))
                .timeout(deadlines.operation()).run();
    }

    @Override
    public String host() {
        return place == null ? "127.0.0.1" : place.address();
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public synchronized void pointAt(String host, int upstreamPort) {
        String target = host + ":" + upstreamPort;
        if (target.equals(upstream)) {
            return;
        }
        try {
            String text = Files.readString(ini).replaceFirst("(?m)^" + database + " = .*$",
                    database + " = host=" + host + " port=" + upstreamPort + " dbname=" + database);
            Files.writeString(ini, text);
            // A changed connection string renews the server connections as they are released (RECONNECT's effect).
            Command.Result reload = admin("RELOAD");
            if (!reload.ok()) {
                throw new IOException("RELOAD failed: " + reload.output().strip());
            }
            upstream = target;
            Wait.until("PgBouncer's database " + database + " points at " + target, deadlines.operation(),
                    deadlines.poll(), this::databasePort, p -> p.equals(Integer.toString(upstreamPort)));
        } catch (IOException e) {
            throw new LabException("cannot re-point PgBouncer at " + target + ": " + e.getMessage(), e);
        }
    }

    /** The port of its database as its admin console shows it now. */
    private String databasePort() {
        Command.Result r = admin("SHOW DATABASES");
        if (!r.ok()) {
            return "unknown (" + r.output().strip() + ")";
        }
        // name|host|port|database|...
        return r.output().lines().map(l -> l.split("\\|")).filter(f -> f.length > 2 && f[0].equals(database))
                .map(f -> f[2]).findFirst().orElse("none");
    }

    @Override
    public boolean poolsTransactions() {
        return "transaction".equals(settings.get("pool_mode")) || "statement".equals(settings.get("pool_mode"));
    }

    @Override
    public Map<String, String> secrets() {
        return Map.of("PgBouncer admin password", adminPassword);
    }

    @Override
    public Map<String, String> settings() {
        return settings;
    }

    @Override
    public String kind() {
        return "PgBouncer";
    }

    @Override
    public String describe() {
        return version + " in " + settings.getOrDefault("pool_mode", "session") + " pool mode"
                + (place == null ? "" : ", on " + place.describe())
                + (restartOnExit ? ", restarted when it exits on its own" : "");
    }

    /** Its log in the lab's directory, kept through restarts (appended to). */
    private Path logFile() {
        return ini.resolveSibling("pgbouncer.log");
    }

    @Override
    public String log() {
        try {
            return Files.readString(logFile());
        } catch (IOException e) {
            return "";
        }
    }

    private String tail(int n) {
        try {
            List<String> lines = Files.readAllLines(logFile());
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Stops it; its log is kept in reports/logs (the lab's directory goes). */
    @Override
    public void close() {
        closing = true;
        Leftovers.killTree(process.toHandle());
        directory.forgetProcess("pgbouncer");
        try {
            Path logs = Files.createDirectories(Path.of("reports", "logs"));
            Files.copy(logFile(),
                    logs.resolve("pgbouncer-" + directory.path().getFileName().toString().replaceFirst(".*-lab", "lab") + ".log"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            System.err.println("pg-resilience: PgBouncer's log could not be kept: " + e.getMessage());
        }
    }
}
