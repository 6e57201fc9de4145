package io.pgresilience.targets;

import io.pgresilience.config.GatewayTimeouts;
import io.pgresilience.config.Settings;
import io.pgresilience.faults.FaultProxy;
import io.pgresilience.faults.LabNetwork;
import io.pgresilience.lab.DbCluster;
import io.pgresilience.lab.EmbeddedCluster;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.support.Command;
import io.pgresilience.support.LabException;
import io.pgresilience.support.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Any gateway the suite starts from a command line ({@code -Dtarget=command -Dgateway.command="..."}), described by a
 * profile file ({@code -Dgateway.profile=NAME|FILE}): the lab's database goes into its environment in the form the
 * profile asks for, the suite waits for its readiness, captures its log and stops its whole process tree at the end.
 * The command runs under {@code sh -c} in an empty working directory, so it may use the environment ({@code $PORT}).
 */
public final class CommandTarget implements GatewayTarget {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");

    private final Settings settings;
    private final DbCluster cluster;
    private final LabNetwork network;
    private final LabDirectory lab;
    private final Path logFile;
    private final GatewayProfile profile;
    private final GatewayProfile.Launch launch;
    private final String command;
    private final Map<String, String> secrets = new LinkedHashMap<>();
    private GatewayProcess process;
    private Topology topology;
    private String baseUrl;
    private String token;
    private int port;

    public CommandTarget(Settings settings, DbCluster cluster, LabNetwork network, LabDirectory lab, Path logsDir) {
        this.settings = settings;
        this.cluster = cluster;
        this.network = network;
        this.lab = lab;
        this.profile = GatewayProfile.named(settings.text("gateway.profile"));
        this.launch = profile.launch();
        if (launch == null) {
            throw new LabException("gateway profile " + profile.describeSource() + " says nothing of how to run the gateway "
                    + "(database.url, database.hosts, env.*, auth.token, pool.*, timeout.pool-ms): -Dtarget=command needs them");
        }
        this.command = commandOf(settings, profile);
        this.logFile = logsDir.resolve(profile.name() + "-command-gateway.log");
        this.topology = defaultTopology();
        // Every ${secret:NAME} is made once per run and given to the gateway in its environment only.
        for (String value : launch.environment().values()) {
            Matcher m = PLACEHOLDER.matcher(value);
            while (m.find()) {
                if (m.group(1).startsWith("secret:")) {
                    secrets.computeIfAbsent(m.group(1).substring(7), k -> EmbeddedCluster.newSecret() + EmbeddedCluster.newSecret());
                }
            }
        }
        token = switch (launch.tokenMode()) {
            case "generated" -> EmbeddedCluster.newSecret();
            case "static" -> {
                String t = settings.text("gateway.token");
                if (t.isBlank()) {
                    throw new LabException("gateway profile " + profile.describeSource() + " has auth.token=static: give the token "
                            + "with -Dgateway.token=...");
                }
                yield t;
            }
            default -> null; // minted by auth.token-command once the gateway is up
        };
        // Every value renders now: a missing setting or an unusable number is one line before anything starts.
        timeouts();
        poolIdleSize();
        poolMaxSize();
        GatewaySwitches.from(settings);
    }

    @Override
    public String name() {
        return "command";
    }

    @Override
    public String version() {
        return settings.text("gateway.version").isBlank() ? "unknown" : settings.text("gateway.version");
    }

    @Override
    public GatewayProfile profile() {
        return profile;
    }

    @Override
    public String baseUrl() {
        return baseUrl;
    }

    @Override
    public String token() {
        return token;
    }

    @Override
    public Set<Capability> capabilities() {
        Set<Capability> all = EnumSet.of(Capability.LAB_CONTROL, Capability.MANAGED_PROCESS, Capability.DATABASE_ROLE);
        all.addAll(profile.capabilities());
        return all;
    }

    @Override
    public String databaseRole() {
        return cluster.gatewayRole();
    }

    @Override
    public Topology topology() {
        return topology;
    }

    @Override
    public Topology defaultTopology() {
        return launch.multiHost() ? Topology.MULTI_HOST : Topology.SINGLE_HOST;
    }

    @Override
    public boolean supports(Topology t) {
        return t == Topology.SINGLE_HOST || launch.multiHost();
    }

    @Override
    public void prepare(Topology wanted) {
        if (process != null && process.alive() && wanted == topology
                && process.recoversWithin(baseUrl + profile.readinessPath(), settings.millis("deadline.recover-ms"))) {
            return;
        }
        stopProcess();
        topology = wanted;
        start();
    }

    @Override
    public void restart() {
        stopProcess();
        start();
    }

    private void start() {
        applyRoleSettings();
        port = Ports.requireFree(settings.integer("gateway.port"), "the gateway (" + profile.name() + ")");
        baseUrl = "http://127.0.0.1:" + port;
        Map<String, String> env = environment();
        Path work = lab.path().resolve("command-work"); // an empty directory: no stray .env or config is read
        process = GatewayProcess.start(profile.name() + "-gateway", List.of("setsid", "/bin/sh", "-c", command), env, logFile,
                lab, work);
        Duration within = settings.millis("deadline.gateway-start-ms");
        process.awaitHttp200(baseUrl + profile.livenessPath(), within);
        process.awaitHttp200(baseUrl + profile.readinessPath(), within);
        if (token == null) {
            token = mintToken(env, work);
        }
        verifyToken();
    }

    /**
     * The gateway's command: -Dgateway.command, else the profile's {@code command} (where it may name files beside the
     * profile with ${profile.dir}).
     */
    private static String commandOf(Settings settings, GatewayProfile profile) {
        String given = settings.text("gateway.command");
        if (!given.isBlank()) {
            return given;
        }
        String own = profile.launch().command();
        if (own == null) {
            throw new LabException("-Dtarget=command needs -Dgateway.command=\"the command that starts the gateway\" (or a "
                    + "'command' key in the profile) and -Dgateway.profile=NAME|FILE (see README, \"Test your own gateway\")");
        }
        return own.replace("${profile.dir}", profileDir(profile));
    }

    private static String profileDir(GatewayProfile profile) {
        return profile.directory().map(d -> d.toAbsolutePath().toString()).orElseThrow(() -> new LabException("gateway profile "
                + profile.describeSource() + " is shipped with the suite: ${profile.dir} needs a profile file"));
    }

    /**
     * Once per run, before any lab starts: the profile's {@code command.prepare} (e.g. making the gateway's virtual
     * environment, cached between runs), run with {@code /bin/sh -c} in the profile's directory. A failure is one line
     * with the command's last output line; nothing starts.
     */
    public static synchronized void prepareOnce(Settings settings) {
        if (prepared) {
            return;
        }
        GatewayProfile profile = GatewayProfile.named(settings.text("gateway.profile"));
        String prepare = profile.launch() == null ? null : profile.launch().commandPrepare();
        if (prepare != null) {
            String dir = profileDir(profile);
            Command.Result r = Command.of("/bin/sh", "-c", prepare.replace("${profile.dir}", dir)).in(Path.of(dir))
                    .timeout(settings.millis("gateway.prepare-timeout-ms")).run();
            String[] lines = r.output().strip().split("\n");
            if (!r.ok()) {
                throw new LabException("the command.prepare of gateway profile " + profile.describeSource() + " failed (exit "
                        + r.exitCode() + "): " + lines[lines.length - 1].strip());
            }
            System.err.println("pg-resilience: gateway " + profile.name() + " prepared: " + lines[lines.length - 1].strip());
        }
        prepared = true;
    }

    private static boolean prepared;

    private boolean behindTransactionPooler() {
        return network.pooler().filter(p -> p.poolsTransactions()).isPresent();
    }

    /**
     * What the reference gets behind a transaction pooler: its statement timeout on its role, since startup options do not
     * pass the pooler (PgBouncer ignores them). Set where the profile declares a statement timeout, reset elsewhere.
     */
    private void applyRoleSettings() {
        boolean viaRole = behindTransactionPooler() && launch.statementTimeoutMs() != null;
        cluster.primary().execute(cluster.database(), "ALTER ROLE " + cluster.gatewayRole()
                + (viaRole ? " SET statement_timeout = " + number("timeout.statement-ms", launch.statementTimeoutMs())
                : " RESET statement_timeout"));
    }

    /** The profile's env.* with every placeholder filled in; secrets included, so for the process's environment only. */
    private Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        launch.environment().forEach((k, v) -> env.put(k, render("env." + k, v)));
        return GatewaySwitches.from(settings).applyTo(env);
    }

    /** Fills in the placeholders of one profile value (see {@link GatewayProfile#PLACEHOLDERS}). */
    private String render(String key, String template) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(value(key, m.group(1))));
        }
        m.appendTail(out);
        return out.toString();
    }

    private String value(String key, String placeholder) {
        if (placeholder.startsWith("setting:")) {
            try {
                return settings.text(placeholder.substring(8));
            } catch (IllegalArgumentException e) {
                throw new LabException("gateway profile " + profile.describeSource() + ": key '" + key + "': ${" + placeholder
                        + "} names no setting of pg-resilience.properties");
            }
        }
        if (placeholder.startsWith("secret:")) {
            return secrets.get(placeholder.substring(7));
        }
        return switch (placeholder) {
            case "host" -> "127.0.0.1";
            case "port" -> Integer.toString(port);
            case "token" -> {
                if (token == null) {
                    throw new LabException("gateway profile " + profile.describeSource() + ": key '" + key + "' uses ${token}, "
                            + "but the token is minted by auth.token-command only once the gateway runs");
                }
                yield token;
            }
            case "suite.pid" -> Long.toString(ProcessHandle.current().pid());
            case "pooler" -> behindTransactionPooler() ? "transaction" : "none";
            case "profile.dir" -> profileDir(profile);
            case "command.dir" -> commandDir();
            case "database.url" -> databaseUrl(true);
            case "database.host" -> hosts().get(0).substring(0, hosts().get(0).lastIndexOf(':'));
            case "database.port" -> hosts().get(0).substring(hosts().get(0).lastIndexOf(':') + 1);
            case "database.hosts" -> String.join(",", hosts());
            case "database.name" -> cluster.database();
            case "database.user" -> cluster.gatewayRole();
            case "database.password" -> cluster.gatewayPassword();
            case "pool.min-idle" -> settings.text("gateway.pool.min-idle");
            case "pool.max" -> settings.text("gateway.pool.max");
            case "pool.overflow" -> Integer.toString(settings.integer("gateway.pool.max") - settings.integer("gateway.pool.min-idle"));
            case "pool.timeout-ms" -> settings.text("gateway.pool.timeout-ms");
            case "pool.timeout-s" -> Long.toString(Math.max(1, settings.millis("gateway.pool.timeout-ms").toSeconds()));
            default -> throw new LabException("gateway profile " + profile.describeSource() + ": key '" + key
                    + "': unknown placeholder ${" + placeholder + "}");
        };
    }

    /** The proxies the gateway is given, as it reaches them: every node's (multi-host) or the VIP alone. */
    private List<String> hosts() {
        List<FaultProxy> proxies = network.entryForGateway(topology == Topology.MULTI_HOST);
        return proxies.stream().map(network::addressForGateway).toList();
    }

    /** The directory of the command's program (e.g. a virtual environment's bin/), for the token command. */
    private String commandDir() {
        String first = command.strip().split("\\s+")[0];
        Path program = Path.of(first.startsWith("~/") ? System.getProperty("user.home") + first.substring(1) : first);
        if (!program.isAbsolute()) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
                if (!dir.isBlank() && Files.isExecutable(Path.of(dir, first))) {
                    program = Path.of(dir, first);
                    break;
                }
            }
        }
        Path parent = program.toAbsolutePath().getParent();
        return parent == null ? "." : parent.toString();
    }

    /**
     * The database URL in the profile's form (jdbc, libpq, sqlalchemy), single- or multi-host, with the credentials in
     * it unless the profile passes them separately.
     *
     * @param withPassword false for the report
     */
    String databaseUrl(boolean withPassword) {
        List<String> hosts = hosts();
        String user = enc(cluster.gatewayRole());
        String credentials = !launch.credentialsInUrl() ? ""
                : user + (withPassword ? ":" + enc(cluster.gatewayPassword()) : "") + "@";
        String query = launch.urlQuery();
        String db = cluster.database();
        return switch (launch.urlForm()) {
            case "jdbc" -> "jdbc:postgresql://" + String.join(",", hosts) + "/" + db
                    + joinQuery(launch.credentialsInUrl() ? "user=" + user + (withPassword ? "&password=" + enc(cluster.gatewayPassword()) : "") : "", query);
            case "libpq" -> "postgresql://" + credentials + String.join(",", hosts) + "/" + db + joinQuery(query);
            case "sqlalchemy" -> "postgresql+" + launch.sqlalchemyDriver() + "://" + credentials + (hosts.size() == 1
                    ? hosts.get(0) + "/" + db + joinQuery(query)
                    : "/" + db + joinQuery(hosts.stream().map(h -> "host=" + h).collect(Collectors.joining("&")), query));
            default -> throw new LabException("unknown database.url form '" + launch.urlForm() + "'");
        };
    }

    private static String joinQuery(String... parts) {
        String q = java.util.Arrays.stream(parts).filter(p -> p != null && !p.isBlank()).collect(Collectors.joining("&"));
        return q.isEmpty() ? "" : "?" + q;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** auth.token=command: the profile's command, with the gateway's environment, prints the token on its last line. */
    private String mintToken(Map<String, String> env, Path work) {
        String cmd = render("auth.token-command", launch.tokenCommand());
        Command.Result r = Command.of("/bin/sh", "-c", cmd).env(env).in(work)
                .timeout(settings.millis("gateway.token-command-timeout-ms")).run();
        String[] lines = r.output().strip().split("\n");
        String last = lines[lines.length - 1].strip();
        if (!r.ok() || last.isEmpty() || last.contains(" ")) {
            // The output of a failed command is its error, not a token.
            throw new LabException("the token command of gateway profile " + profile.describeSource() + " failed (exit "
                    + r.exitCode() + ")" + (r.ok() ? ": its last line is not a token" : ": " + last));
        }
        return last;
    }

    /** One call with the token: a 401/403 is one clear line before any scenario runs. */
    private void verifyToken() {
        try {
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
                    HttpRequest.newBuilder(URI.create(baseUrl + profile.serversPath())).header("Authorization", "Bearer " + token)
                            .timeout(settings.millis("http.timeout-ms")).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 401 || r.statusCode() == 403) {
                throw new LabException("the gateway refused the suite's token (" + r.statusCode() + " at GET "
                        + profile.serversPath() + "): check auth.token in " + profile.describeSource());
            }
        } catch (IOException e) {
            throw new LabException("the gateway did not answer GET " + profile.serversPath() + " with the token: "
                    + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while calling the gateway");
        }
    }

    @Override
    public Map<String, String> secrets() {
        Map<String, String> all = new LinkedHashMap<>(GatewaySwitches.from(settings).secrets());
        secrets.forEach((k, v) -> all.put("gateway secret " + k, v));
        if (token != null) {
            all.put("gateway token", token);
        }
        return all;
    }

    @Override
    public int poolIdleSize() {
        return number("pool.idle-size", launch.poolIdleSize());
    }

    @Override
    public int poolMaxSize() {
        return number("pool.max-size", launch.poolMaxSize());
    }

    /** What the profile says the gateway is given: a pool timeout, and the timeouts it sets (none where blank). */
    @Override
    public GatewayTimeouts timeouts() {
        return GatewayTimeouts.of(settings, Duration.ofMillis(number("timeout.pool-ms", launch.poolTimeoutMs())),
                optionalMs("timeout.connect-ms", launch.connectTimeoutMs()), optionalMs("timeout.socket-ms", launch.socketTimeoutMs()),
                optionalMs("timeout.statement-ms", launch.statementTimeoutMs()));
    }

    private Optional<Duration> optionalMs(String key, String template) {
        return template == null ? Optional.empty() : Optional.of(Duration.ofMillis(number(key, template)));
    }

    private int number(String key, String template) {
        String v = render(key, template);
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new LabException("gateway profile " + profile.describeSource() + ": key '" + key + "' must be a number, got '"
                    + v + "'");
        }
    }

    @Override
    public GatewayLog log() {
        return new GatewayLog(logFile);
    }

    @Override
    public Map<String, String> describe() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("gateway", profile.description() + ", started by the suite as a command (-Dtarget=command)");
        d.put("command", command);
        d.put("profile", profile.describeSource() + " (" + profile.name() + "; capabilities "
                + (profile.capabilities().isEmpty() ? "none" : profile.capabilities().stream().map(Enum::name)
                .collect(Collectors.joining(", "))) + ")");
        d.put("pid", process == null ? "-" : Long.toString(process.pid()));
        d.put("database URL", baseUrl == null ? "-" : databaseUrl(false) + " (" + topology.phrase() + ")");
        d.put("environment", String.join(", ", launch.environment().keySet()));
        GatewaySwitches.from(settings).describeInto(d);
        d.put("auth", switch (launch.tokenMode()) {
            case "generated" -> "a token the suite makes per run and gives the gateway";
            case "static" -> "the static token of -Dgateway.token";
            default -> "a token minted by the profile's auth.token-command: " + launch.tokenCommand();
        });
        d.put("pool", "idle " + poolIdleSize() + ", max " + poolMaxSize());
        d.put("timeouts", timeouts().describe());
        return d;
    }

    /**
     * Read from the running process: its pid and start time (/proc/PID/stat, field 22: a restarted process differs)
     * and the database hosts of its environment (/proc/PID/environ: only the variables the profile fills with a
     * database address; no credentials are kept).
     */
    @Override
    public Map<String, String> observeConfiguration() {
        if (process == null || !process.alive()) {
            return Map.of("process", "not running");
        }
        Map<String, String> seen = new LinkedHashMap<>();
        long pid = process.pid();
        seen.put("pid", Long.toString(pid));
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            seen.put("process start (clock ticks since boot)", fields[19]);
            List<String> addressVars = launch.environment().entrySet().stream()
                    .filter(e -> e.getValue().matches(".*\\$\\{database\\.(url|host|hosts|port)}.*")).map(Map.Entry::getKey).toList();
            for (String entry : new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")),
                    StandardCharsets.UTF_8).split("\0")) {
                int eq = entry.indexOf('=');
                if (eq > 0 && addressVars.contains(entry.substring(0, eq))) {
                    seen.put("database address (" + entry.substring(0, eq) + ")", entry.substring(eq + 1)
                            .replaceFirst("^[a-z+:]*//[^@/]*@", "").replaceAll("password=[^&]*", "password=…"));
                }
            }
        } catch (IOException | RuntimeException e) {
            seen.put("unreadable", e.getClass().getSimpleName());
        }
        return seen;
    }

    private void stopProcess() {
        if (process != null) {
            process.close();
            process = null;
        }
    }

    @Override
    public void close() {
        stopProcess();
    }
}
