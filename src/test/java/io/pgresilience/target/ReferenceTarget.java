package io.pgresilience.target;

import io.pgresilience.config.Settings;
import io.pgresilience.faults.FaultProxy;
import io.pgresilience.faults.LabNetwork;
import io.pgresilience.lab.DbCluster;
import io.pgresilience.lab.EmbeddedCluster;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.lab.LabException;
import io.pgresilience.lab.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** This project's reference gateway, started from the project's own classes as a separate JVM. */
public final class ReferenceTarget implements GatewayTarget {

    private final Settings settings;
    private final DbCluster cluster;
    private final LabNetwork network;
    private final LabDirectory lab;
    private final Path logFile;
    private final String token = EmbeddedCluster.newSecret();
    private GatewayProcess process;
    private Topology topology = Topology.MULTI_HOST;
    private long startedForGeneration = -1;
    private String baseUrl;

    public ReferenceTarget(Settings settings, DbCluster cluster, LabNetwork network, LabDirectory lab, Path logsDir) {
        this.settings = settings;
        this.cluster = cluster;
        this.network = network;
        this.lab = lab;
        this.logFile = logsDir.resolve("reference-gateway.log");
    }

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public String version() {
        return io.pgresilience.gateway.ReferenceGateway.VERSION;
    }

    @Override
    public GatewayProfile profile() {
        return GatewayProfile.REFERENCE;
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
        return EnumSet.allOf(Capability.class);
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
        return Topology.MULTI_HOST;
    }

    @Override
    public boolean supports(Topology t) {
        return true;
    }

    @Override
    public void prepare(Topology wanted) {
        boolean reusable = process != null && process.alive() && wanted == topology
                && startedForGeneration == cluster.generation();
        // A running gateway must find its way back to the repaired lab by itself, within the recover deadline.
        if (reusable && process.recoversWithin(baseUrl + profile().readinessPath(), settings.millis("deadline.recover-ms"))) {
            return;
        }
        stopProcess();
        topology = wanted;
        start();
        process.awaitHttp200(baseUrl + profile().readinessPath(), settings.millis("deadline.gateway-start-ms"));
    }

    @Override
    public void restart() {
        stopProcess();
        start();
        process.awaitHttp200(baseUrl + profile().livenessPath(), settings.millis("deadline.gateway-start-ms"));
    }

    private void start() {
        int port = Ports.requireFree(settings.integer("gateway.port"), "the reference gateway");
        baseUrl = "http://127.0.0.1:" + port;
        Map<String, String> env = new LinkedHashMap<>();
        env.put("GATEWAY_HOST", "127.0.0.1");
        env.put("GATEWAY_PORT", Integer.toString(port));
        env.put("GATEWAY_DB_URL", databaseUrl());
        env.put("GATEWAY_DB_USER", cluster.gatewayRole());
        env.put("GATEWAY_DB_PASSWORD", cluster.gatewayPassword());
        env.put("GATEWAY_TOKEN", token);
        env.put("GATEWAY_POOL_MIN_IDLE", settings.text("gateway.pool.min-idle"));
        env.put("GATEWAY_POOL_MAX", settings.text("gateway.pool.max"));
        env.put("GATEWAY_POOL_TIMEOUT_MS", settings.text("gateway.pool.timeout-ms"));
        env.put("GATEWAY_POOL_MAX_LIFETIME_MS", settings.text("gateway.pool.max-lifetime-ms"));
        env.put("GATEWAY_VALIDATION_TIMEOUT_MS", settings.text("gateway.pool.validation-timeout-ms"));
        env.put("GATEWAY_HOUSEKEEPING_MS", settings.text("gateway.pool.housekeeping-ms"));
        env.put("GATEWAY_CONNECT_TIMEOUT_S", settings.text("gateway.connect-timeout-s"));
        env.put("GATEWAY_SOCKET_TIMEOUT_S", settings.text("gateway.socket-timeout-s"));
        env.put("GATEWAY_STATEMENT_TIMEOUT_MS", settings.text("gateway.statement-timeout-ms"));
        env.put("GATEWAY_READY_TIMEOUT_MS", settings.text("gateway.ready-timeout-ms"));
        env.put("GATEWAY_DEFECTS", settings.text("gateway.defects"));
        env.put("GATEWAY_PARENT_PID", Long.toString(ProcessHandle.current().pid()));
        List<String> argv = List.of(javaBinary(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", classpath(), "io.pgresilience.gateway.ReferenceGateway");
        process = GatewayProcess.start("reference-gateway", argv, env, logFile, lab);
        startedForGeneration = cluster.generation();
    }

    private String databaseUrl() {
        List<FaultProxy> proxies = topology == Topology.MULTI_HOST ? network.nodeProxies() : List.of(network.vip());
        return "jdbc:postgresql://" + proxies.stream().map(network::addressForGateway)
                .collect(Collectors.joining(",")) + "/" + cluster.database() + "?targetServerType=primary";
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The gateway's own runtime classpath, which Maven writes at process-classes (see pom.xml). */
    private static String classpath() {
        Path file = Path.of("target", "gateway.classpath");
        if (!Files.exists(file)) {
            throw new LabException("target/gateway.classpath is missing: run the suite through Maven (mvn test)");
        }
        try {
            return Path.of("target", "classes").toAbsolutePath() + java.io.File.pathSeparator + Files.readString(file).trim();
        } catch (IOException e) {
            throw new LabException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public int poolIdleSize() {
        return settings.integer("gateway.pool.min-idle");
    }

    @Override
    public int poolMaxSize() {
        return settings.integer("gateway.pool.max");
    }

    @Override
    public Duration poolTimeout() {
        return settings.millis("gateway.pool.timeout-ms");
    }

    @Override
    public Duration statementTimeout() {
        return settings.millis("gateway.statement-timeout-ms");
    }

    @Override
    public Duration requestBound() {
        return settings.seconds("gateway.socket-timeout-s").plus(poolTimeout()).plus(settings.millis("deadline.request-slack-ms"));
    }

    @Override
    public GatewayLog log() {
        return new GatewayLog(logFile);
    }

    @Override
    public Map<String, String> describe() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("gateway", "reference-gateway " + version());
        d.put("pid", process == null ? "-" : Long.toString(process.pid()));
        d.put("database URL", baseUrl == null ? "-" : databaseUrl());
        d.put("pool", "min idle " + poolIdleSize() + ", max " + poolMaxSize() + ", timeout " + poolTimeout().toMillis()
                + " ms, max lifetime " + settings.text("gateway.pool.max-lifetime-ms") + " ms, validation before every use");
        d.put("timeouts", "connect " + settings.text("gateway.connect-timeout-s") + " s, socket "
                + settings.text("gateway.socket-timeout-s") + " s, statement " + statementTimeout().toMillis() + " ms");
        String defects = settings.text("gateway.defects");
        d.put("defects switched on", defects.isBlank() ? "none" : defects);
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
}
