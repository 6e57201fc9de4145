package io.pgresilience.target;

import io.pgresilience.config.Settings;
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
import java.util.List;
import java.util.Map;
import java.util.Set;

/** This project's reference gateway, started from the project's own classes as a separate JVM. */
public final class ReferenceTarget implements GatewayTarget {

    private final Settings settings;
    private final DbCluster cluster;
    private final LabNetwork network;
    private final LabDirectory lab;
    private final Path logFile;
    private final ReferenceGatewaySetup setup;
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
        this.setup = new ReferenceGatewaySetup(settings, cluster, network);
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
        Map<String, String> env = setup.environment("127.0.0.1", port, topology, token, ProcessHandle.current().pid());
        List<String> argv = new java.util.ArrayList<>(List.of(javaBinary()));
        argv.addAll(ReferenceGatewaySetup.JVM_OPTIONS);
        argv.addAll(List.of("-cp", classpath(), ReferenceGatewaySetup.MAIN_CLASS));
        process = GatewayProcess.start("reference-gateway", argv, env, logFile, lab);
        startedForGeneration = cluster.generation();
    }

    private String databaseUrl() {
        return setup.databaseUrl(topology);
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
        return setup.poolIdleSize();
    }

    @Override
    public int poolMaxSize() {
        return setup.poolMaxSize();
    }

    @Override
    public Duration poolTimeout() {
        return setup.poolTimeout();
    }

    @Override
    public Duration statementTimeout() {
        return setup.statementTimeout();
    }

    @Override
    public Duration requestBound() {
        return setup.requestBound();
    }

    @Override
    public GatewayLog log() {
        return new GatewayLog(logFile);
    }

    @Override
    public Map<String, String> describe() {
        return setup.describe("reference-gateway " + version(), process == null ? "-" : Long.toString(process.pid()),
                baseUrl == null ? "-" : databaseUrl());
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
