package io.pgresilience.targets;

import io.pgresilience.config.GatewayTimeouts;

import io.pgresilience.gateway.ReferenceGateway;
import io.restassured.RestAssured;
import java.util.LinkedHashMap;
import io.pgresilience.config.Settings;
import io.pgresilience.faults.LabNetwork;
import io.pgresilience.lab.DbCluster;
import io.pgresilience.lab.EmbeddedCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The reference gateway as a target, whichever way it is started (a JVM of the suite's, or a container): what it is,
 * how it is configured, and when it must be started again. Subclasses only start, stop and watch it.
 */
public abstract class ReferenceGatewayTarget implements GatewayTarget {

    protected final Settings settings;
    protected final ReferenceGatewaySetup setup;
    protected final Path logFile;
    protected final String token = EmbeddedCluster.newSecret();
    private final DbCluster cluster;
    protected Topology topology = Topology.MULTI_HOST;
    protected String baseUrl;

    protected ReferenceGatewayTarget(Settings settings, DbCluster cluster, LabNetwork network, Path logFile) {
        this.settings = settings;
        this.cluster = cluster;
        this.setup = new ReferenceGatewaySetup(settings, cluster, network);
        this.logFile = logFile;
    }

    @Override
    public Map<String, String> secrets() {
        Map<String, String> all = new LinkedHashMap<>(setup.switches().secrets());
        all.put("gateway token", token);
        return all;
    }

    /** Starts the gateway for the current topology and sets {@link #baseUrl}; does not wait for it. */
    protected abstract void startGateway();

    protected abstract void stopGateway();

    protected abstract boolean running();

    /** Polls the URL until it answers 200; fails at once if the gateway exits. */
    protected abstract void awaitHttp200(String url, Duration within);

    /** Whether the gateway is ready again within the deadline; if not, it is said on the console. */
    protected abstract boolean recoversWithin(String url, Duration within);

    @Override
    public final void prepare(Topology wanted) {
        boolean reusable = running() && wanted == topology;
        // A running gateway must find its way back to the repaired lab by itself, within the recover deadline.
        if (reusable && recoversWithin(baseUrl + profile().readinessPath(), settings.millis("deadline.recover-ms"))) {
            return;
        }
        stopGateway();
        topology = wanted;
        start();
        awaitHttp200(baseUrl + profile().readinessPath(), settings.millis("deadline.gateway-start-ms"));
    }

    /** A new gateway with the same configuration, as a rolling deploy would start. */
    @Override
    public final void restart() {
        stopGateway();
        start();
        awaitHttp200(baseUrl + profile().livenessPath(), settings.millis("deadline.gateway-start-ms"));
    }

    private void start() {
        setup.applyRoleSettings();
        startGateway();
    }

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public String version() {
        return ReferenceGateway.VERSION;
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
    public int poolIdleSize() {
        return setup.poolIdleSize();
    }

    @Override
    public int poolMaxSize() {
        return setup.poolMaxSize();
    }

    @Override
    public GatewayTimeouts timeouts() {
        return setup.timeouts();
    }

    @Override
    public GatewayLog log() {
        return new GatewayLog(logFile);
    }

    /** The database URL the gateway is given, or "-" before it was started. */
    protected String databaseUrl() {
        return baseUrl == null ? "-" : setup.databaseUrl(topology);
    }

    /** The gateway's own answer at /version: its instance (new at every start), pid and the database hosts it uses. */
    @Override
    public Map<String, String> observeConfiguration() {
        try {
            com.fasterxml.jackson.databind.JsonNode v = GatewayClient.parse(RestAssured.given().baseUri(baseUrl()).get("/version").asString());
            Map<String, String> seen = new LinkedHashMap<>();
            for (String[] f : new String[][] {{"instance", "instance"}, {"pid", "pid"}, {"database hosts", "database_hosts"}}) {
                com.fasterxml.jackson.databind.JsonNode x = v == null ? null : v.get(f[1]);
                seen.put(f[0], x == null || x.isNull() ? null : x.isValueNode() ? x.asText() : x.toString());
            }
            return seen;
        } catch (RuntimeException e) {
            return Map.of("unreadable", e.getClass().getSimpleName());
        }
    }
}
