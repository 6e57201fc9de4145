package io.pgresilience.targets.deployed;

import io.pgresilience.config.DeploymentSpec;
import io.pgresilience.config.GatewayTimeouts;
import io.pgresilience.config.Settings;
import io.pgresilience.faults.LabNetwork;
import io.pgresilience.lab.DbCluster;
import io.pgresilience.lab.Deadlines;
import io.pgresilience.lab.EmbeddedCluster;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.lab.deployed.Nginx;
import io.pgresilience.lab.deployed.Redis;
import io.pgresilience.support.Command;
import io.pgresilience.support.LabException;
import io.pgresilience.support.Ports;
import io.pgresilience.targets.Capability;
import io.pgresilience.targets.GatewayLog;
import io.pgresilience.targets.GatewayProcess;
import io.pgresilience.targets.GatewayProfile;
import io.pgresilience.targets.GatewayTarget;
import io.pgresilience.targets.PythonEnv;
import io.pgresilience.targets.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * ContextForge as a deployment file deploys it (-Ddeployment=NAME): its one-shot migration straight to PostgreSQL, Redis
 * as its cache, {@code gateway.replicas} replicas of gunicorn with {@code gateway.workers} workers of
 * {@code gateway.worker-class} each (each worker its own SQLAlchemy pool), reaching PostgreSQL through the lab's
 * PgBouncer (the deployment's version and settings), behind nginx with the deployment's proxy timeouts. The suite talks
 * to nginx. Every part is started in the lab's directory and stopped in teardown (pids recorded for a SIGKILL).
 */
public final class DeployedGateway implements GatewayTarget {

    private static final String ADMIN = "admin@example.com";

    private final Settings settings;
    private final DeploymentSpec spec;
    private final DbCluster cluster;
    private final LabNetwork network;
    private final LabDirectory lab;
    private final Path logFile;
    private final PythonEnv python;
    private final Deadlines deadlines;
    private final Map<String, String> secrets = Map.of(
            "JWT_SECRET_KEY", EmbeddedCluster.newSecret() + EmbeddedCluster.newSecret(),
            "AUTH_ENCRYPTION_SECRET", EmbeddedCluster.newSecret() + EmbeddedCluster.newSecret(),
            "PLATFORM_ADMIN_PASSWORD", "Pa1-" + EmbeddedCluster.newSecret(),
            "DEFAULT_USER_PASSWORD", "Du1-" + EmbeddedCluster.newSecret(),
            "BASIC_AUTH_PASSWORD", "Ba1-" + EmbeddedCluster.newSecret());
    private final List<GatewayProcess> replicas = new ArrayList<>();
    private final List<Integer> replicaPorts = new ArrayList<>();
    private final List<List<String>> replicaArgv = new ArrayList<>();
    private Map<String, String> replicaEnv = Map.of();
    private volatile boolean closing;
    private java.util.concurrent.ScheduledExecutorService supervisor;
    private Redis redis;
    private Nginx nginx;
    private boolean migrated;
    private String baseUrl;
    private String token;

    public DeployedGateway(Settings settings, DeploymentSpec spec, DbCluster cluster, LabNetwork network, LabDirectory lab,
                           Path logsDir) {
        this.settings = settings;
        this.spec = spec;
        this.cluster = cluster;
        this.network = network;
        this.lab = lab;
        this.logFile = logsDir.resolve("contextforge-gateway.log");
        this.deadlines = new Deadlines(settings.millis("deadline.lab-ms"), settings.millis("poll.interval-ms"));
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
        return python.gatewayVersion();
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

    private int replicaCount() {
        return Integer.parseInt(spec.value("gateway", "replicas"));
    }

    private int workers() {
        return Integer.parseInt(spec.value("gateway", "workers"));
    }

    @Override
    public void prepare(Topology topology) {
        if (nginx != null && nginx.alive() && redis.alive() && !replicas.isEmpty() && replicas.stream().allMatch(GatewayProcess::alive)
                && replicas.get(0).recoversWithin(baseUrl + profile().readinessPath(), settings.millis("deadline.recover-ms"))) {
            return;
        }
        restart();
    }

    @Override
    public synchronized void restart() {
        stopReplicas();
        if (redis == null || !redis.alive()) {
            closeQuietly(redis);
            redis = Redis.start(lab, deadlines, spec);
        }
        migrate();
        startReplicas();
        if (nginx == null || !nginx.alive()) {
            closeQuietly(nginx);
            nginx = Nginx.start(lab, deadlines, spec, replicaPorts);
            baseUrl = "http://127.0.0.1:" + nginx.port();
        }
        Duration within = settings.millis("deadline.gateway-start-ms");
        replicas.get(0).awaitHttp200(baseUrl + profile().readinessPath(), within);
        if (supervisor == null) {
            supervisor = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "contextforge-replica-supervisor");
                t.setDaemon(true);
                return t;
            });
            long every = settings.millis("poll.interval-ms").toMillis();
            supervisor.scheduleWithFixedDelay(() -> {
                try {
                    superviseReplicas();
                } catch (RuntimeException e) {
                    System.err.println("pg-resilience: a replica could not be restarted: " + e.getMessage());
                }
            }, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        if (token == null) {
            token = mintToken();
        }
    }

    /** Compose's one-shot migration container: mcpgateway.bootstrap_db straight to PostgreSQL (not through PgBouncer). */
    private void migrate() {
        if (migrated) {
            return;
        }
        Map<String, String> env = baseEnvironment();
        env.put("DATABASE_URL", url(network.addressForGateway(network.proxyFor(cluster.primary()))));
        Path work = workDir();
        Command.Result r = Command.of(python.bin("python").toString(), "-m", "mcpgateway.bootstrap_db").env(env).in(work)
                .timeout(settings.millis("deadline.gateway-start-ms")).run();
        if (!r.ok()) {
            String[] lines = r.output().strip().split("\n");
            throw new LabException("ContextForge's migration (python -m mcpgateway.bootstrap_db) failed (exit " + r.exitCode() + "): "
                    + lines[lines.length - 1]);
        }
        migrated = true;
    }

    /**
     * compose's {@code restart: unless-stopped}: a replica whose gunicorn exits on its own (e.g. "Worker failed to boot"
     * while the database is away) is started again on its port, as Docker restarts its container; what is left of it
     * (a worker still booting) goes with it, as a container's processes do. Each restart is a line on the console.
     */
    private synchronized void superviseReplicas() {
        if (closing || !"unless-stopped".equals(spec.value("gateway", "restart"))) {
            return;
        }
        for (int i = 0; i < replicas.size(); i++) {
            GatewayProcess r = replicas.get(i);
            if (r.alive()) {
                continue;
            }
            killSession(r.pid());
            r.close();
            System.err.println("pg-resilience: contextforge-replica-" + (i + 1) + " (gunicorn pid " + r.pid()
                    + ") exited on its own; started again (restart: unless-stopped, as compose runs it)");
            replicas.set(i, GatewayProcess.start("contextforge-replica-" + (i + 1), replicaArgv.get(i), replicaEnv, logFile, lab, workDir()));
        }
    }

    /** Every process of the session a replica was started in (setsid: the session's id is the replica's pid). */
    static void killSession(long sid) {
        ProcessHandle.allProcesses().filter(p -> sessionOf(p.pid()) == sid).forEach(p -> {
            p.destroyForcibly();
        });
    }

    private static long sessionOf(long pid) {
        try {
            String stat = java.nio.file.Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3]);
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    private void startReplicas() {
        replicaArgv.clear();
        Map<String, String> env = baseEnvironment();
        env.putAll(spec.values("gateway", "env."));
        env.put("DATABASE_URL", url(network.addressForGateway(network.entryForGateway(false).get(0))));
        env.put("REDIS_URL", redis.url());
        boolean first = replicaPorts.isEmpty();
        for (int i = 0; i < replicaCount(); i++) {
            if (first) {
                replicaPorts.add(Ports.free());
            }
            int port = replicaPorts.get(i);
            List<String> argv = new ArrayList<>(List.of("setsid", python.bin("gunicorn").toString(),
                    "--bind", "127.0.0.1:" + port,
                    "--worker-class", spec.value("gateway", "worker-class"),
                    "--workers", Integer.toString(workers()),
                    "--timeout", spec.value("gateway", "timeout"),
                    "--graceful-timeout", spec.value("gateway", "graceful-timeout"),
                    "--keep-alive", spec.value("gateway", "keep-alive"),
                    "--access-logfile", "/dev/null", "--error-logfile", "-", "--forwarded-allow-ips=*"));
            if (Boolean.parseBoolean(spec.value("gateway", "preload"))) {
                argv.add("--preload");
            }
            if (!Boolean.parseBoolean(spec.value("gateway", "control-socket"))) {
                argv.add("--no-control-socket");
            }
            argv.add("mcpgateway.main:app");
            replicaArgv.add(List.copyOf(argv));
            replicas.add(GatewayProcess.start("contextforge-replica-" + (i + 1), argv, env, logFile, lab, workDir()));
        }
        replicaEnv = env;
        Duration within = settings.millis("deadline.gateway-start-ms");
        for (int i = 0; i < replicas.size(); i++) {
            replicas.get(i).awaitHttp200("http://127.0.0.1:" + replicaPorts.get(i) + profile().readinessPath(), within);
        }
    }

    private String url(String hostPort) {
        return "postgresql+psycopg://" + cluster.gatewayRole() + ":" + cluster.gatewayPassword() + "@" + hostPort + "/" + cluster.database();
    }

    private Path workDir() {
        Path work = lab.path().resolve("contextforge-work"); // an empty directory: ContextForge reads ./.env
        try {
            java.nio.file.Files.createDirectories(work);
        } catch (java.io.IOException e) {
            throw new LabException("cannot create " + work + ": " + e.getMessage(), e);
        }
        return work;
    }

    /** What every process of ContextForge gets: its secrets, its admin, and what the suite must change to test at all. */
    private Map<String, String> baseEnvironment() {
        Map<String, String> env = new LinkedHashMap<>(secrets);
        env.put("PLATFORM_ADMIN_EMAIL", ADMIN);
        env.put("RATE_LIMITING_ENABLED", "false");
        env.put("SSRF_DNS_FAIL_CLOSED", "false");
        for (String off : List.of("MCPGATEWAY_UI_ENABLED", "MCPGATEWAY_ADMIN_API_ENABLED", "PLUGINS_ENABLED", "OBSERVABILITY_ENABLED",
                "OTEL_ENABLE_OBSERVABILITY", "LLMCHAT_ENABLED", "MCPGATEWAY_A2A_ENABLED", "MCPGATEWAY_CATALOG_ENABLED",
                "METRICS_CLEANUP_ENABLED", "METRICS_ROLLUP_ENABLED")) {
            env.put(off, "false");
        }
        env.put("UAID_ALLOWED_DOMAINS", "[\"example.com\"]");
        env.put("JQ_FILTER_EXECUTION", "inprocess");
        env.put("REGEX_WORKERS", "1");
        env.put("LOG_LEVEL", "WARNING");
        return env;
    }

    private String mintToken() {
        Command.Result r = Command.of(python.bin("python").toString(), "-m", "mcpgateway.utils.create_jwt_token",
                        "--username", ADMIN, "--exp", "720", "--admin")
                .env(baseEnvironment()).in(workDir()).timeout(Duration.ofMinutes(1)).run();
        String[] lines = r.output().strip().split("\n");
        String last = lines[lines.length - 1].strip();
        if (!r.ok() || !last.startsWith("eyJ")) {
            throw new LabException("ContextForge's create_jwt_token failed (exit " + r.exitCode() + ")");
        }
        return last;
    }

    @Override
    public Map<String, String> secrets() {
        Map<String, String> all = new LinkedHashMap<>(secrets);
        if (token != null) {
            all.put("gateway token", token);
        }
        return all;
    }

    @Override
    public int poolIdleSize() {
        return 1;
    }

    /** Every worker its own pool: replicas × workers × (DB_POOL_SIZE + DB_MAX_OVERFLOW). */
    @Override
    public int poolMaxSize() {
        return replicaCount() * workers() * (Integer.parseInt(spec.value("gateway", "env.DB_POOL_SIZE"))
                + Integer.parseInt(spec.value("gateway", "env.DB_MAX_OVERFLOW")));
    }

    /**
     * From the deployment: the pool timeout DB_POOL_TIMEOUT; no connect or socket timeout (ContextForge sets none);
     * PostgreSQL's statement_timeout; and a request is held at most as long as nginx waits for a replica's answer
     * (proxy_read_timeout, which PgBouncer's query_wait_timeout does not exceed), plus the suite's slack.
     */
    @Override
    public GatewayTimeouts timeouts() {
        Duration pool = Duration.ofSeconds(Long.parseLong(spec.value("gateway", "env.DB_POOL_TIMEOUT")));
        Duration nginxRead = seconds(spec.value("nginx", "proxy_read_timeout"));
        Duration queryWait = Duration.ofSeconds(Long.parseLong(spec.value("pgbouncer", "query_wait_timeout")));
        Duration held = nginxRead.compareTo(queryWait) >= 0 ? nginxRead : queryWait;
        return new GatewayTimeouts(pool, Optional.empty(), Optional.empty(),
                spec.find("postgresql", "statement_timeout").map(s -> seconds(s.value())),
                held.plus(settings.millis("deadline.request-slack-ms")));
    }

    /** "60s", "1h", "120" (seconds) as nginx and PostgreSQL write them. */
    static Duration seconds(String v) {
        if (v.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
        }
        if (v.endsWith("h")) {
            return Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1)));
        }
        if (v.endsWith("m")) {
            return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
        }
        return Duration.ofSeconds(Long.parseLong(v.replaceFirst("s$", "")));
    }

    @Override
    public GatewayLog log() {
        return new GatewayLog(logFile);
    }

    /** "ContextForge 1.1.0 as its docker-compose.yml deploys it: nginx 1.22 → 2 replicas × 2 gunicorn workers → ..." */
    public String headline() {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("PostgreSQL\\)? (\\d+)").matcher(cluster.postgresVersion());
        String pg = m.find() ? "PostgreSQL " + m.group(1) : cluster.postgresVersion();
        return "ContextForge " + version() + " as its docker-compose.yml deploys it: nginx " + spec.value("nginx", "version") + " → "
                + replicaCount() + " replicas × " + workers() + " gunicorn workers (" + spec.value("gateway", "worker-class")
                + ") → PgBouncer " + spec.value("pgbouncer", "version") + " → " + pg + "; Redis cache";
    }

    @Override
    public Map<String, String> describe() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("gateway", headline());
        d.put("deployment (-Ddeployment=" + spec.name() + ")", "every part real, started by the suite; every setting from "
                + spec.value("deployment", "product") + "'s own files, cited in src/test/resources/deployments/" + spec.name() + ".properties");
        d.put("scaled to this machine", String.join("; ", spec.scaled()) + " (3 replicas × 17 workers = 51 become "
                + replicaCount() + " × " + workers() + " = " + replicaCount() * workers() + "; the pooler's sizes in the same ratio, its timeouts as shipped)");
        d.put("nginx", (nginx == null ? "" : nginx.version() + ", ") + "proxy_connect_timeout " + spec.value("nginx", "proxy_connect_timeout")
                + ", proxy_send_timeout " + spec.value("nginx", "proxy_send_timeout") + ", proxy_read_timeout "
                + spec.value("nginx", "proxy_read_timeout") + ", proxy_next_upstream " + spec.value("nginx", "proxy_next_upstream")
                + " (tries " + spec.value("nginx", "proxy_next_upstream_tries") + ", within " + spec.value("nginx", "proxy_next_upstream_timeout")
                + "); /health: connect " + spec.value("nginx", "health.proxy_connect_timeout") + ", read " + spec.value("nginx", "health.proxy_read_timeout"));
        d.put("gateway replicas", replicaCount() + " × gunicorn --workers " + workers() + " --worker-class " + spec.value("gateway", "worker-class")
                + " --timeout " + spec.value("gateway", "timeout") + (Boolean.parseBoolean(spec.value("gateway", "preload")) ? " --preload" : "")
                + "; mcp-contextforge-gateway[postgres]==" + python.gatewayVersion() + ", Python " + python.python().version()
                + "; env " + spec.values("gateway", "env."));
        d.put("Redis", Redis.versionOutput().replaceFirst(" .*", "") + ", " + spec.settings("redis").stream()
                .filter(s -> !s.name().equals("version")).map(s -> s.name() + " " + s.value()).toList());
        d.put("database URL", "postgresql+psycopg://" + cluster.gatewayRole() + "@" + network.addressForGateway(network.entryForGateway(false).get(0))
                + "/" + cluster.database() + " (PgBouncer); the migration straight to the primary, as compose's migration container");
        d.put("PostgreSQL server settings", spec.settings("postgresql").stream().map(s -> s.name() + "=" + s.value()).toList().toString());
        d.put("timeouts", "from the deployment: " + timeouts().describe() + "; a request is waited for up to "
                + timeouts().requestBound().toMillis() + " ms (nginx proxy_read_timeout " + spec.value("nginx", "proxy_read_timeout")
                + ", PgBouncer query_wait_timeout " + spec.value("pgbouncer", "query_wait_timeout") + " s, plus the suite's slack)");
        d.put("settings the suite changes", "RATE_LIMITING_ENABLED=false (the suite polls faster than 100/min), "
                + "SSRF_DNS_FAIL_CLOSED=false (no DNS in the lab); UI, admin API, plugins, observability, A2A, catalog, LLM chat off");
        return d;
    }

    @Override
    public Map<String, String> observeConfiguration() {
        Map<String, String> seen = new LinkedHashMap<>();
        for (int i = 0; i < replicas.size(); i++) {
            seen.put("replica " + (i + 1) + " pid", replicas.get(i).alive() ? Long.toString(replicas.get(i).pid()) : "not running");
        }
        seen.put("nginx pid", nginx == null || !nginx.alive() ? "not running" : Long.toString(nginx.pid()));
        return seen;
    }

    private synchronized void stopReplicas() {
        for (GatewayProcess r : replicas) {
            r.close();
            killSession(r.pid()); // a worker its master left behind holds the replica's port
        }
        replicas.clear();
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("pg-resilience: " + e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        if (supervisor != null) {
            supervisor.shutdownNow();
        }
        closeQuietly(nginx);
        stopReplicas();
        closeQuietly(redis);
        nginx = null;
        redis = null;
    }
}
