package io.pgresilience.targets;
import java.util.Optional;

import io.pgresilience.config.GatewayTimeouts;

import java.nio.charset.StandardCharsets;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgresilience.config.Settings;
import io.pgresilience.faults.LabNetwork;
import io.pgresilience.support.Command;
import io.pgresilience.lab.DbCluster;
import io.pgresilience.lab.EmbeddedCluster;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.support.LabException;
import io.pgresilience.support.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The real ContextForge MCP gateway (mcp-contextforge-gateway from PyPI), run by the suite against the lab through
 * the VIP proxy (one DATABASE_URL; failover re-points the proxy), with the plan's pool settings. Secrets are
 * generated per run and passed in the environment only.
 */
public final class ContextForgeTarget implements GatewayTarget {

    private static final String ADMIN = "admin@example.com";

    private final Settings settings;
    private final DbCluster cluster;
    private final LabNetwork network;
    private final LabDirectory lab;
    private final Path logFile;
    private final PythonEnv python;
    private final Map<String, String> secrets = Map.of(
            "JWT_SECRET_KEY", EmbeddedCluster.newSecret() + EmbeddedCluster.newSecret(),
            "AUTH_ENCRYPTION_SECRET", EmbeddedCluster.newSecret() + EmbeddedCluster.newSecret(),
            "PLATFORM_ADMIN_PASSWORD", "Pa1-" + EmbeddedCluster.newSecret(),
            "DEFAULT_USER_PASSWORD", "Du1-" + EmbeddedCluster.newSecret(),
            "BASIC_AUTH_PASSWORD", "Ba1-" + EmbeddedCluster.newSecret());
    private GatewayProcess process;
    private String baseUrl;
    private String token;
    private String version;

    public ContextForgeTarget(Settings settings, DbCluster cluster, LabNetwork network, LabDirectory lab, Path logsDir) {
        this.settings = settings;
        this.cluster = cluster;
        this.network = network;
        this.lab = lab;
        this.logFile = logsDir.resolve("contextforge-gateway.log");
        String cache = settings.text("contextforge.cache-dir");
        this.python = PythonEnv.prepare(settings.text("contextforge.python"), settings.text("contextforge.version"),
                settings.text("contextforge.source"),
                cache.isBlank() ? Path.of(System.getProperty("user.home"), ".cache", "pg-resilience") : Path.of(cache),
                settings.millis("contextforge.install-timeout-ms"));
    }

    @Override
    public String name() {
        return "contextforge";
    }

    @Override
    public String version() {
        return version == null ? python.gatewayVersion() : version;
    }

    @Override
    public GatewayProfile profile() {
        return GatewayProfile.CONTEXTFORGE;
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
        all.addAll(profile().capabilities());
        return all;
    }

    @Override
    public String databaseRole() {
        return cluster.gatewayRole();
    }

    @Override
    public Topology topology() {
        return Topology.SINGLE_HOST;
    }

    @Override
    public Topology defaultTopology() {
        return Topology.SINGLE_HOST;
    }

    @Override
    public boolean supports(Topology t) {
        return t == Topology.SINGLE_HOST;
    }

    @Override
    public void prepare(Topology topology) {
        if (process != null && process.alive()
                && process.recoversWithin(baseUrl + profile().readinessPath(), settings.millis("deadline.recover-ms"))) {
            return;
        }
        stopProcess();
        start();
    }

    @Override
    public void restart() {
        stopProcess();
        start();
    }

    private void start() {
        int port = Ports.requireFree(settings.integer("gateway.port"), "ContextForge");
        baseUrl = "http://127.0.0.1:" + port;
        Map<String, String> env = environment();
        Path work = lab.path().resolve("contextforge-work"); // an empty directory: ContextForge reads ./.env
        process = GatewayProcess.start("contextforge-gateway", List.of("setsid", python.bin("mcpgateway").toString(),
                "--host", "127.0.0.1", "--port", Integer.toString(port)), env, logFile, lab, work);
        Duration within = settings.millis("deadline.gateway-start-ms");
        process.awaitHttp200(baseUrl + profile().livenessPath(), within);
        process.awaitHttp200(baseUrl + profile().readinessPath(), within);
        if (token == null) {
            token = mintToken(env, work);
        }
        version = askVersion();
    }

    private boolean behindTransactionPooler() {
        return network.pooler().filter(io.pgresilience.lab.Pooler::poolsTransactions).isPresent();
    }

    private Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>(secrets);
        String query = settings.text("contextforge.database-url-query");
        env.put("DATABASE_URL", "postgresql+psycopg://" + cluster.gatewayRole() + ":" + cluster.gatewayPassword() + "@"
                + network.addressForGateway(network.entryForGateway(false).get(0)) + "/" + cluster.database() + (query.isBlank() ? "" : "?" + query));
        env.put("PLATFORM_ADMIN_EMAIL", ADMIN);
        env.put("DB_MAX_RETRIES", "5");
        env.put("DB_RETRY_INTERVAL_MS", "1000");
        // The plan's pool: pool_size=5, max_overflow=10, pool_recycle=1800, pre-ping; the suite's short pool timeout.
        env.put("DB_POOL_SIZE", settings.text("gateway.pool.min-idle"));
        env.put("DB_MAX_OVERFLOW", Integer.toString(settings.integer("gateway.pool.max") - settings.integer("gateway.pool.min-idle")));
        env.put("DB_POOL_TIMEOUT", Long.toString(Math.max(1, poolTimeout().toSeconds())));
        env.put("DB_POOL_RECYCLE", "1800");
        env.put("DB_POOL_PRE_PING", "true");
        if (behindTransactionPooler()) {
            // As its docker-compose.yml deploys it behind PgBouncer (contextforge.pgbouncer.*).
            env.putAll(settings.withPrefix("contextforge.pgbouncer."));
        }
        // What the suite must change to test at all: it polls faster than 100 requests/minute, and the lab has no DNS.
        env.put("RATE_LIMITING_ENABLED", "false");
        env.put("SSRF_DNS_FAIL_CLOSED", "false");
        // Parts the tests do not touch, off for a quick and quiet start.
        for (String off : List.of("MCPGATEWAY_UI_ENABLED", "MCPGATEWAY_ADMIN_API_ENABLED", "PLUGINS_ENABLED", "OBSERVABILITY_ENABLED",
                "OTEL_ENABLE_OBSERVABILITY", "LLMCHAT_ENABLED", "MCPGATEWAY_A2A_ENABLED", "MCPGATEWAY_CATALOG_ENABLED",
                "METRICS_CLEANUP_ENABLED", "METRICS_ROLLUP_ENABLED")) {
            env.put(off, "false");
        }
        env.put("UAID_ALLOWED_DOMAINS", "[\"example.com\"]");
        env.put("JQ_FILTER_EXECUTION", "inprocess");
        env.put("REGEX_WORKERS", "1");
        env.put("LOG_LEVEL", "WARNING");
        return GatewaySwitches.from(settings).applyTo(env);
    }

    /** ContextForge's own tool mints the admin's token; the secret comes from the environment, never argv. */
    private String mintToken(Map<String, String> env, Path work) {
        Command.Result r = Command.of(python.bin("python").toString(), "-m", "mcpgateway.utils.create_jwt_token",
                        "--username", ADMIN, "--exp", "720", "--admin")
                .env(env).in(work).timeout(Duration.ofMinutes(1)).run();
        String[] lines = r.output().strip().split("\n");
        String last = lines[lines.length - 1].strip();
        if (!r.ok() || !last.startsWith("eyJ")) {
            throw new LabException("ContextForge's create_jwt_token failed (exit " + r.exitCode() + ")");
        }
        return last;
    }

    private String askVersion() {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(baseUrl + "/version"))
                    .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 401 || r.statusCode() == 403) {
                throw new LabException("ContextForge refused the token the suite minted (" + r.statusCode() + " at the first call)");
            }
            JsonNode v = new ObjectMapper().readTree(r.body()).path("app").path("version");
            return v.isMissingNode() ? python.gatewayVersion() : v.asText();
        } catch (IOException e) {
            return python.gatewayVersion();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return python.gatewayVersion();
        }
    }

    @Override
    public Map<String, String> secrets() {
        Map<String, String> all = new LinkedHashMap<>(secrets);
        all.putAll(GatewaySwitches.from(settings).secrets());
        if (token != null) {
            all.put("gateway token", token);
        }
        return all;
    }

    @Override
    public int poolIdleSize() {
        return 1; // SQLAlchemy's QueuePool opens connections on demand and keeps them: one after any request
    }

    @Override
    public int poolMaxSize() {
        return settings.integer("gateway.pool.max");
    }

    /**
     * As shipped: the pool timeout the suite gives it (whole seconds), and no connect, socket or statement timeout;
     * tuned, the connect_timeout (s) and the statement_timeout of {@code options} in contextforge.database-url-query.
     */
    @Override
    public GatewayTimeouts timeouts() {
        String query = java.net.URLDecoder.decode(settings.text("contextforge.database-url-query"), StandardCharsets.UTF_8);
        java.util.regex.Matcher connect = java.util.regex.Pattern.compile("(?:^|&)connect_timeout=(\\d+)").matcher(query);
        java.util.regex.Matcher statement = java.util.regex.Pattern.compile("statement_timeout=(\\d+)").matcher(query);
        return GatewayTimeouts.of(settings, Duration.ofSeconds(Math.max(1, settings.millis("gateway.pool.timeout-ms").toSeconds())),
                connect.find() ? Optional.of(Duration.ofSeconds(Long.parseLong(connect.group(1)))) : Optional.empty(),
                Optional.empty(),
                statement.find() ? Optional.of(Duration.ofMillis(Long.parseLong(statement.group(1)))) : Optional.empty());
    }

    @Override
    public GatewayLog log() {
        return new GatewayLog(logFile);
    }

    @Override
    public Map<String, String> describe() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("gateway", "ContextForge " + version() + python.source().map(s -> " (mcp-contextforge-gateway[postgres] "
                        + python.gatewayVersion() + " from source, Python " + python.python().version() + ")")
                .orElse(" (mcp-contextforge-gateway[postgres]==" + python.gatewayVersion() + " from PyPI, Python "
                        + python.python().version() + ")"));
        python.source().ifPresent(s -> d.put("ContextForge source", s.describe() + "; virtual environment " + python.venv()));
        d.put("pid", process == null ? "-" : Long.toString(process.pid()));
        d.put("database URL", "postgresql+psycopg://" + cluster.gatewayRole() + "@" + network.addressForGateway(network.entryForGateway(false).get(0))
                + "/" + cluster.database() + " (the VIP proxy; failover re-points it)");
        d.put("pool", "DB_POOL_SIZE=" + settings.text("gateway.pool.min-idle") + ", DB_MAX_OVERFLOW="
                + (settings.integer("gateway.pool.max") - settings.integer("gateway.pool.min-idle")) + ", DB_POOL_TIMEOUT="
                + poolTimeout().toSeconds() + " s, DB_POOL_RECYCLE=1800 s, DB_POOL_PRE_PING=true (the plan's pool)"
                + (behindTransactionPooler() ? "; behind PgBouncer as its docker-compose.yml: " + settings.withPrefix("contextforge.pgbouncer.") : ""));
        d.put("timeouts", settings.text("contextforge.database-url-query").isBlank()
                ? "as shipped: no connect, socket or statement timeout"
                : "tuned: DATABASE_URL options " + settings.text("contextforge.database-url-query") + " (" + timeouts().describe() + ")");
        d.put("settings the suite changes", "RATE_LIMITING_ENABLED=false (the suite polls faster than 100/min), "
                + "SSRF_DNS_FAIL_CLOSED=false (no DNS in the lab); UI, admin API, plugins, observability, A2A, catalog, LLM chat off");
        GatewaySwitches.from(settings).describeInto(d);
        return d;
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

    /**
     * Read from the running process: its pid and start time (/proc/PID/stat, field 22: a restarted process differs)
     * and the database host and port of the DATABASE_URL in its environment (/proc/PID/environ; the password is not kept).
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
            for (String entry : new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")),
                    StandardCharsets.UTF_8).split("\0")) {
                if (entry.startsWith("DATABASE_URL=")) {
                    seen.put("database host", entry.replaceFirst("^DATABASE_URL=[^@]*@", "").replaceFirst("/.*$", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            seen.put("unreadable", e.getClass().getSimpleName());
        }
        return seen;
    }
}
