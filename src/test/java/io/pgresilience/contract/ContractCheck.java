package io.pgresilience.contract;

import io.pgresilience.config.Settings;
import io.pgresilience.evidence.History;
import io.pgresilience.evidence.Judge;
import io.pgresilience.evidence.Operation;
import io.pgresilience.lab.DbCluster;
import io.pgresilience.lab.GatewaySessions;
import io.pgresilience.lab.OutsideSession;
import io.pgresilience.lab.StopMode;
import io.pgresilience.run.Run;
import io.pgresilience.support.SecretScan;
import io.pgresilience.support.Wait;
import io.pgresilience.targets.Capability;
import io.pgresilience.targets.GatewayClient;
import io.pgresilience.targets.GatewayProfile;
import io.pgresilience.targets.GatewayTarget;
import io.pgresilience.targets.Reply;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The static part of CONTRACT.md checked against a running gateway, in well under a minute and without faults beyond
 * stopping the database once: its routes, its auth refusals, its schema, its declared capabilities, its declared
 * statement timeout seen in force, its error bodies and readiness with the database stopped, and its recovery. Each
 * clause is held, not held (with the fix in one line), or not applicable (with why).
 */
public final class ContractCheck {

    public enum Status {
        HELD("held"), NOT_HELD("not held"), NOT_APPLICABLE("not applicable");

        private final String word;

        Status(String word) {
            this.word = word;
        }

        public String word() {
            return word;
        }
    }

    /** One clause: its id, what it says, how it held, and what was seen (the fix, when not held). */
    public record Clause(String id, String says, Status status, String seen) {
        public String line() {
            return status.word() + ": " + says + (status == Status.HELD ? "" : " — " + seen);
        }
    }

    /** The whole check: every clause and how long it took. */
    public record Result(String gateway, List<Clause> clauses, long millis) {
        public List<Clause> notHeld() {
            return clauses.stream().filter(c -> c.status() == Status.NOT_HELD).toList();
        }

        public Clause clause(String id) {
            return clauses.stream().filter(c -> c.id().equals(id)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no clause " + id));
        }
    }

    private final Settings settings;
    private final Run run;
    private final GatewayTarget target;
    private final GatewayProfile profile;
    private final GatewayClient client;
    private final List<Clause> clauses = new ArrayList<>();
    private final String name = "contract-check-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);

    private ContractCheck(Run run) {
        this.run = run;
        this.settings = run.settings();
        this.target = run.target();
        this.profile = target.profile();
        this.client = new GatewayClient(target, new History(), settings.millis("http.timeout-ms"));
    }

    /**
     * Starts a lab and the gateway the settings name (-Dtarget=...), checks every clause, writes the report and stops
     * everything again (also on failure, and on Ctrl-C).
     */
    public static Result run(Settings settings, Path report) throws IOException {
        long t0 = System.nanoTime();
        Run run = Run.start(settings, 1);
        Thread hook = new Thread(run::close, "pg-resilience-contract-teardown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            ContractCheck check = new ContractCheck(run);
            check.all();
            Map<String, String> described = new LinkedHashMap<>(run.target().describe());
            described.remove("pid");
            Result result = new Result(run.target().name() + " " + run.target().version() + " (" + run.target().profile().name()
                    + " profile)", List.copyOf(check.clauses), (System.nanoTime() - t0) / 1_000_000);
            write(report, result, described, settings);
            List<String> leaks = SecretScan.leaks(run.secrets(), List.of(report));
            if (!leaks.isEmpty()) {
                Files.delete(report);
                throw new AssertionError("a secret appeared in the contract check's report (deleted): " + leaks);
            }
            return result;
        } finally {
            run.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    private void all() {
        clause("liveness", "liveness (path.liveness) answers 200 without a token", this::liveness);
        clause("readiness-up", "readiness (path.readiness) answers 200 with the database up", this::readinessUp);
        clause("servers-list", "GET path.servers with the token answers 200 and a JSON array of objects with `name`", this::serversList);
        clause("server-write", "POST path.servers writes a server that is read back through the API", this::serverWrite);
        clause("tools", "path.tools lists (200) and creates (2xx) tools", this::tools);
        clause("auth-no-token", "a request without a token is refused with 401", () -> refused(null, "no token"));
        clause("auth-wrong-token", "a request with a wrong token is refused with 401", () -> refused("Bearer " + wrong(target.token()),
                "a wrong token (the valid one with its last character changed)"));
        boolean lab = target.has(Capability.LAB_CONTROL);
        String noLab = "the suite does not control this gateway's database (-Dtarget=" + target.name() + ")";
        clause("schema", "the profile's tables have the columns the suite reads (" + String.join(", ", GatewaySessions.COLUMNS_READ.keySet())
                + ")", () -> lab ? schema() : na(noLab));
        clause("stored-verbatim", "a server's name and description are stored as sent", () -> lab ? storedVerbatim() : na(noLab));
        clause("capability-server-timing", "SERVER_TIMING: list answers carry Server-Timing with `dur=`", this::serverTiming);
        clause("capability-pool-stats", "POOL_STATS: path.pool-stats answers 200 with a number `active`", this::poolStats);
        clause("capability-name-filter", "NAME_FILTER: `?name=` finds exactly that server", this::nameFilter);
        clause("capability-bulk-update", "BULK_UPDATE: path.bulk-update updates the rows named", () -> lab ? bulkUpdate() : na(noLab));
        clause("pool-timeout", "the declared pool timeout (timeout.pool-ms) is in force: with every pooled connection (pool.max-size) "
                + "waiting on a lock, one more request gets a 503 naming the database after " + Judge.TIMEOUT_FLOOR_PERCENT
                + " %…100 % of it", () -> lab && target.has(Capability.DATABASE_ROLE) ? poolTimeout() : na(noLab));
        clause("statement-timeout", "the declared statement timeout (timeout.statement-ms) is in force: a statement held past it "
                + "ends with a 503/504 naming a statement timeout, after " + Judge.TIMEOUT_FLOOR_PERCENT + " %…100 % of it",
                () -> lab ? statementTimeout() : na(noLab));
        if (lab) {
            databaseStopped();
        } else {
            for (String[] c : DATABASE_STOPPED) {
                clauses.add(new Clause(c[0], c[1], Status.NOT_APPLICABLE, noLab));
            }
        }
    }

    private static final String[][] DATABASE_STOPPED = {
            {"database-stopped-503", "with the database stopped, the API answers 503"},
            {"database-stopped-names-database", "that 503's error names the database"},
            {"database-stopped-retry-after", "that 503 carries Retry-After"},
            {"database-stopped-readiness", "with the database stopped, readiness answers 503"},
            {"database-back", "with the database back, readiness and the API answer 200 again within the recover deadline"}};

    private void clause(String id, String says, Supplier<Clause> check) {
        Clause c;
        try {
            c = check.get();
        } catch (RuntimeException | AssertionError e) {
            c = notHeld("the check could not finish: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        clauses.add(new Clause(id, says, c.status(), c.seen()));
        System.err.println("pg-resilience contract: " + clauses.get(clauses.size() - 1).line());
    }

    private static Clause held(String seen) {
        return new Clause("", "", Status.HELD, seen);
    }

    private static Clause notHeld(String fix) {
        return new Clause("", "", Status.NOT_HELD, fix);
    }

    private static Clause na(String why) {
        return new Clause("", "", Status.NOT_APPLICABLE, why);
    }

    private static boolean ok(Reply r) {
        return r.status() >= 200 && r.status() < 300;
    }

    // --- routes and auth -----------------------------------------------------------------------------------------

    private Clause liveness() {
        Reply r = client.liveness();
        return r.status() == 200 ? held(r.summary()) : notHeld("your liveness route " + profile.livenessPath()
                + " must answer 200 without a token while the process runs; got " + r.summary());
    }

    private Clause readinessUp() {
        Reply r = client.readiness();
        return r.status() == 200 ? held(r.summary()) : notHeld("your readiness route " + profile.readinessPath()
                + " must answer 200 without a token when the database is usable; got " + r.summary());
    }

    private Clause serversList() {
        Reply r = client.listServers();
        if (r.status() != 200 || !r.body().strip().startsWith("[")) {
            return notHeld("GET " + profile.serversPath() + " with `Authorization: Bearer <token>` must answer 200 and a JSON array"
                    + " (list.query: " + profile.listQuery() + "); got " + r.summary());
        }
        return held(r.summary());
    }

    private Clause serverWrite() {
        Reply w = client.createServer(name);
        if (!ok(w)) {
            return notHeld("POST " + profile.serversPath() + " with " + describeBody() + " must answer 2xx once the server is "
                    + "committed; got " + w.summary());
        }
        Reply r = client.findServer(name);
        if (!"found".equals(r.operation().detail())) {
            return notHeld("a server written with 2xx must be in the next GET " + profile.serversPath() + " (by its `name`); got "
                    + r.summary());
        }
        return held(w.summary());
    }

    private String describeBody() {
        return profile.serverEnvelope() == null || profile.serverEnvelope().isBlank()
                ? "{\"name\": …, \"description\": …}" : "{\"" + profile.serverEnvelope() + "\": {\"name\": …, \"description\": …}}";
    }

    private Clause tools() {
        Reply w = client.createTool(name + "-tool");
        if (!ok(w)) {
            return notHeld("POST " + profile.toolsPath() + " must answer 2xx once the tool is committed; got " + w.summary());
        }
        Reply r = client.listTools();
        return r.status() == 200 ? held(w.summary()) : notHeld("GET " + profile.toolsPath() + " with the token must answer 200; got "
                + r.summary());
    }

    private Clause refused(String authorization, String what) {
        Reply r = client.withAuthorization(authorization, profile.serversPath());
        return r.status() == 401 ? held(r.summary()) : notHeld("GET " + profile.serversPath() + " with " + what
                + " must be refused with 401 (without a database query); got " + r.summary());
    }

    static String wrong(String token) {
        char last = token.charAt(token.length() - 1);
        return token.substring(0, token.length() - 1) + (last == 'A' ? 'B' : 'A');
    }

    // --- schema ----------------------------------------------------------------------------------------------------

    private Clause schema() {
        List<String> missing = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        Map<String, List<String>> wanted = new LinkedHashMap<>();
        wanted.put(profile.serversTable(), List.copyOf(GatewaySessions.COLUMNS_READ.keySet()));
        wanted.putIfAbsent(profile.toolsTable(), List.of("name"));
        for (Map.Entry<String, List<String>> t : wanted.entrySet()) {
            String cols = cluster().primary().query(cluster().database(), "SELECT string_agg(column_name, ',' ORDER BY column_name) "
                    + "FROM information_schema.columns WHERE table_name = '" + t.getKey() + "'");
            TreeSet<String> has = new TreeSet<>(cols == null ? List.of() : Arrays.asList(cols.split(",")));
            seen.add(t.getKey() + " (" + (has.isEmpty() ? "no such table" : String.join(", ", has)) + ")");
            for (String c : t.getValue()) {
                if (!has.contains(c)) {
                    missing.add(t.getKey() + "." + c);
                }
            }
        }
        return missing.isEmpty() ? held(String.join("; ", seen)) : notHeld("your tables must have the columns the suite reads, by "
                + "these names: missing " + String.join(", ", missing) + "; found " + String.join("; ", seen));
    }

    private Clause storedVerbatim() {
        String description = column("description", name);
        String stored = column("name", name);
        return name.equals(stored) && GatewayProfile.SERVER_DESCRIPTION.equals(description)
                ? held(profile.serversTable() + ": name " + stored + ", description '" + description + "'")
                : notHeld("store the request's name and description unchanged in " + profile.serversTable() + ".name and ."
                + "description; sent '" + name + "' / '" + GatewayProfile.SERVER_DESCRIPTION + "', found '" + stored + "' / '"
                + description + "'");
    }

    private String column(String column, String serverName) {
        return cluster().primary().query(cluster().database(), "SELECT " + column + " FROM " + profile.serversTable()
                + " WHERE name = '" + serverName.replace("'", "''") + "'");
    }

    // --- capabilities ----------------------------------------------------------------------------------------------

    private Optional<Clause> undeclared(Capability c) {
        return target.has(c) ? Optional.empty() : Optional.of(na("the profile does not declare " + c.name()));
    }

    private Clause serverTiming() {
        return undeclared(Capability.SERVER_TIMING).orElseGet(() -> {
            Reply r = client.listServers();
            String h = r.header("Server-Timing");
            return h != null && Judge.SERVER_TIMING_DURATION.matcher(h).find() ? held("Server-Timing: " + h)
                    : notHeld("with SERVER_TIMING, list answers must carry `Server-Timing` with the database time as `dur=` "
                    + "(matched against " + Judge.SERVER_TIMING_DURATION.pattern() + "); got " + (h == null ? "no such header" : h));
        });
    }

    private Clause poolStats() {
        return undeclared(Capability.POOL_STATS).orElseGet(() -> {
            Reply r = client.poolStats();
            Object active = r.status() == 200 ? safely(() -> r.integer("active")) : null;
            return active instanceof Number ? held(r.summary()) : notHeld("with POOL_STATS, GET " + profile.poolStatsPath()
                    + " must answer 200 and {\"active\": N, …}; got " + r.summary());
        });
    }

    private Clause nameFilter() {
        return undeclared(Capability.NAME_FILTER).orElseGet(() -> {
            Reply r = client.findServer(name);
            List<String> names = r.status() == 200 ? safely(() -> r.each("name")) : null;
            return List.of(name).equals(names) ? held(r.summary()) : notHeld("with NAME_FILTER, GET " + profile.serversPath()
                    + "?name=" + name + " must list exactly that server; got " + r.summary());
        });
    }

    private Clause bulkUpdate() {
        return undeclared(Capability.BULK_UPDATE).orElseGet(() -> {
            String description = "updated by the contract check";
            Reply r = client.bulkUpdate(List.of(name), description);
            String stored = column("description", name);
            return r.status() == 200 && description.equals(stored) ? held(r.summary()) : notHeld("with BULK_UPDATE, POST "
                    + profile.bulkUpdatePath() + " {\"updates\":[{\"name\":…,\"description\":…}]} must answer 200 with the rows "
                    + "updated; got " + r.summary() + ", description now '" + stored + "'");
        });
    }

    private static <T> T safely(Supplier<T> s) {
        try {
            return s.get();
        } catch (RuntimeException | AssertionError e) { // a body that is not what the clause reads
            return null;
        }
    }

    // --- the declared statement timeout ------------------------------------------------------------------------

    private Clause statementTimeout() {
        Optional<Duration> declared = target.statementTimeout();
        if (declared.isEmpty()) {
            return na("the profile declares no statement timeout (timeout.statement-ms): TX-02 is not applicable either");
        }
        long limit = declared.get().toMillis();
        long slack = settings.millis("deadline.request-slack-ms").toMillis();
        long floor = Judge.timeoutFloorMs(limit);
        Reply r;
        // An outside session holds the servers table: the gateway's list query waits on the lock, past the timeout.
        try (OutsideSession lock = OutsideSession.open(cluster().primary(), cluster().database())) {
            lock.lockTable(profile.serversTable());
            r = client.listServers();
            lock.release();
        }
        String said = said(r.operation());
        String got = "got " + r.summary();
        if (r.status() != 503 && r.status() != 504) {
            return notHeld("a statement held past your declared statement timeout (" + limit + " ms) must end with 503 or 504 "
                    + "whose error names the statement timeout; " + got);
        }
        if (!Judge.NAMES_A_STATEMENT_TIMEOUT.matcher(said).find()) {
            return notHeld("the declared statement timeout (" + limit + " ms) is not in force or not said: set it on the gateway's "
                    + "connections (or role), and name it in `error` or `message` (matched against "
                    + Judge.NAMES_A_STATEMENT_TIMEOUT.pattern() + "), or declare none; " + got);
        }
        if (r.latencyMs() < floor) {
            return notHeld("the statement timeout ended the request after " + r.latencyMs() + " ms, sooner than "
                    + Judge.TIMEOUT_FLOOR_PERCENT + " % of the declared " + limit + " ms: declare the timeout the gateway really sets; "
                    + got);
        }
        if (r.latencyMs() > limit + slack) {
            return notHeld("the statement timeout ended the request after " + r.latencyMs() + " ms, later than the declared " + limit
                    + " ms + " + slack + " ms slack: the declared statement timeout is not in force; " + got);
        }
        return held(r.summary() + " (declared " + limit + " ms)");
    }

    /**
     * An outside session locks table.tools; as many list calls as the declared pool has connections wait on it; one
     * more must wait about the pool timeout for a connection and then answer 503 naming the database.
     */
    private Clause poolTimeout() {
        long limit = target.poolTimeout().toMillis();
        long slack = settings.millis("deadline.request-slack-ms").toMillis();
        int max = target.poolMaxSize();
        Duration detect = settings.millis("deadline.detect-ms");
        GatewaySessions sessions = new GatewaySessions(cluster().primary(), cluster().database(), target.databaseRole());
        ExecutorService pool = Executors.newFixedThreadPool(max);
        List<Future<Reply>> holding = new ArrayList<>();
        Reply extra;
        int waiting;
        try (OutsideSession lock = OutsideSession.open(cluster().primary(), cluster().database())) {
            lock.lockTable(profile.toolsTable());
            for (int i = 0; i < max; i++) {
                holding.add(pool.submit(client::listTools));
            }
            waiting = Wait.until("all " + max + " pooled connections wait on the lock", detect, settings.millis("poll.interval-ms"),
                    () -> (int) sessions.backends().stream().filter(GatewaySessions.Backend::waitingOnLock).count(), n -> n >= max, false);
            extra = waiting >= max ? client.listTools() : null;
            lock.release();
        } finally {
            pool.shutdown();
            for (Future<Reply> f : holding) {
                try {
                    f.get(target.requestBound().toMillis(), TimeUnit.MILLISECONDS);
                } catch (Exception stillWaiting) {
                    f.cancel(true);
                }
            }
        }
        if (extra == null) {
            return notHeld("pool.max-size declares " + max + " connections, but only " + waiting + " of the gateway's sessions waited "
                    + "on the lock within " + detect.toMillis() + " ms while " + max + " list calls of " + profile.toolsPath()
                    + " waited: serve concurrent requests each on a pooled connection of its own (or declare the pool the gateway has)");
        }
        String got = "got " + extra.summary();
        if (extra.status() != 503 || !Judge.NAMES_THE_DATABASE.matcher(said(extra.operation())).find()) {
            return notHeld("a request that finds every pooled connection busy must answer 503 naming the database (matched against "
                    + Judge.NAMES_THE_DATABASE.pattern() + ") once the pool timeout (" + limit + " ms) runs out; " + got);
        }
        if (extra.latencyMs() < Judge.timeoutFloorMs(limit) || extra.latencyMs() > limit + slack) {
            return notHeld("the request without a free connection ended after " + extra.latencyMs() + " ms: the declared pool "
                    + "timeout (" + limit + " ms, answered within " + Judge.TIMEOUT_FLOOR_PERCENT + " %…100 % + " + slack
                    + " ms slack) is not in force; declare the one the gateway has; " + got);
        }
        return held(extra.summary() + " (declared " + limit + " ms; " + max + " connections held)");
    }

    static String said(Operation o) {
        return (o.error() == null ? "" : o.error()) + " " + (o.message() == null ? "" : o.message());
    }

    // --- the database stopped once ---------------------------------------------------------------------------------

    private void databaseStopped() {
        Duration detect = settings.millis("deadline.detect-ms");
        Duration recover = settings.millis("deadline.recover-ms");
        Duration poll = settings.millis("poll.interval-ms");
        var primary = cluster().primary();
        primary.stop(StopMode.FAST);
        Reply failure;
        Reply readiness;
        try {
            failure = Wait.until("the API fails with the database stopped", detect, poll, client::listServers,
                    r -> r.status() != 200, false);
            readiness = Wait.until("readiness answers 503", detect, poll, client::readiness, r -> r.status() == 503, false);
        } finally {
            primary.start();
        }
        boolean is503 = failure.status() == 503;
        add(DATABASE_STOPPED[0], is503 ? held(failure.summary()) : failure.status() == 401 ? notHeld("while the database is "
                + "stopped your API refused the valid token with 401: checking a token must not need the database (a database "
                + "fault is the client's 503 naming it); got " + failure.summary()) : notHeld("while the database is stopped your API must answer 503 "
                + "(the pool gets no connection: a database fault is the client's 503, never a 500 nor a hang); within "
                + detect.toMillis() + " ms got " + failure.summary()));
        String said = said(failure.operation());
        add(DATABASE_STOPPED[1], !is503 ? na("no 503 to judge") : Judge.NAMES_THE_DATABASE.matcher(said).find()
                ? held("error and message: " + said.strip())
                : notHeld("your 503 body must name the database in `error` or `message` (or `detail`); matched against "
                + Judge.NAMES_THE_DATABASE.pattern() + "; got " + failure.summary()));
        add(DATABASE_STOPPED[2], !is503 ? na("no 503 to judge") : failure.operation().retryAfter()
                ? held("Retry-After: " + failure.header("Retry-After"))
                : notHeld("your 503 must carry a Retry-After header (seconds); got none on " + failure.summary()));
        add(DATABASE_STOPPED[3], readiness.status() == 503 ? held(readiness.summary()) : notHeld("your readiness route "
                + profile.readinessPath() + " must answer 503 while the database is unusable (ask the database, not the process); "
                + "within " + detect.toMillis() + " ms got " + readiness.summary()));
        Reply ready = Wait.until("readiness answers 200 again", recover, poll, client::readiness, r -> r.status() == 200, false);
        Reply api = ready.status() == 200
                ? Wait.until("the API answers 200 again", recover, poll, client::listServers, r -> r.status() == 200, false) : ready;
        add(DATABASE_STOPPED[4], ready.status() == 200 && api.status() == 200 ? held(api.summary()) : notHeld("once the database "
                + "is back your gateway must find it again by itself (a new connection, no restart) within " + recover.toMillis()
                + " ms; readiness got " + ready.summary() + ", the API got " + api.summary()));
    }

    private void add(String[] clause, Clause c) {
        clauses.add(new Clause(clause[0], clause[1], c.status(), c.seen()));
        System.err.println("pg-resilience contract: " + clauses.get(clauses.size() - 1).line());
    }

    private DbCluster cluster() {
        return run.cluster();
    }

    // --- the report ----------------------------------------------------------------------------------------------

    static void write(Path file, Result result, Map<String, String> described, Settings settings) throws IOException {
        StringBuilder md = new StringBuilder("# Contract check\n\n");
        long notHeld = result.notHeld().size();
        md.append("The gateway ").append(result.gateway()).append(" checked against [CONTRACT.md](../CONTRACT.md) on ")
                .append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append(" in ")
                .append(result.millis()).append(" ms: **").append(notHeld == 0 ? "every clause held" : notHeld + " clause(s) not held")
                .append("** (").append(count(result, Status.HELD)).append(" held, ").append(notHeld).append(" not held, ")
                .append(count(result, Status.NOT_APPLICABLE)).append(" not applicable).\n\n");
        md.append("| clause | status | seen, or the fix |\n|---|---|---|\n");
        for (Clause c : result.clauses()) {
            md.append("| ").append(cell(c.says())).append(" | ").append(c.status() == Status.NOT_HELD ? "**not held**" : c.status().word())
                    .append(" | ").append(cell(c.seen())).append(" |\n");
        }
        md.append("\nNot checked here (they need faults): the connect and socket timeouts (CL-02, CL-04). ")
                .append("Deadlines: detect ").append(settings.text("deadline.detect-ms")).append(" ms, recover ")
                .append(settings.text("deadline.recover-ms")).append(" ms, slack ").append(settings.text("deadline.request-slack-ms"))
                .append(" ms, polled every ").append(settings.text("poll.interval-ms")).append(" ms.\n\n## The gateway\n\n");
        described.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v.replace("\n", " ")).append('\n'));
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
    }

    private static long count(Result r, Status s) {
        return r.clauses().stream().filter(c -> c.status() == s).count();
    }

    private static String cell(String s) {
        return s == null ? "" : s.replace("|", "\\|").replace("\n", " ");
    }

    /** The clauses not held, one line each, for a failure message. */
    public static String failure(Result r) {
        return r.notHeld().size() + " clause(s) of the contract not held by " + r.gateway() + ":\n" + r.notHeld().stream()
                .map(c -> "  not held: " + c.says() + " — " + c.seen()).collect(Collectors.joining("\n"));
    }
}
