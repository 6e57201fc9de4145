package io.pgresilience.targets;

import io.pgresilience.config.GatewayTimeouts;

import io.pgresilience.config.Settings;
import io.pgresilience.faults.FaultProxy;
import io.pgresilience.faults.LabNetwork;
import io.pgresilience.lab.DbCluster;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The reference gateway's configuration, wherever the suite runs it (a local JVM, or a container of the container
 * lab): the GATEWAY_* environment it is configured by, its database URL through the lab's proxies, its pool and
 * timeout figures, and its description for the report.
 */
public final class ReferenceGatewaySetup {

    public static final String MAIN_CLASS = "io.pgresilience.gateway.ReferenceGateway";
    /** A small heap and a quick start: the gateway is a fixture of the suite, not a benchmark. */
    public static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private final Settings settings;
    private final DbCluster cluster;
    private final LabNetwork network;

    public ReferenceGatewaySetup(Settings settings, DbCluster cluster, LabNetwork network) {
        this.settings = settings;
        this.cluster = cluster;
        this.network = network;
        GatewaySwitches.from(settings); // a switch that names no variable is one line before anything starts
    }

    /**
     * Everything the gateway is told; secrets included, so it goes into the process's environment only.
     *
     * @param parentPid the gateway exits when this process ends (0: it cannot see the suite's JVM)
     */
    public Map<String, String> environment(String listenHost, int port, Topology topology, String token, long parentPid) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("GATEWAY_HOST", listenHost);
        env.put("GATEWAY_PORT", Integer.toString(port));
        env.put("GATEWAY_DB_URL", databaseUrl(topology));
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
        env.put("GATEWAY_PARENT_PID", Long.toString(parentPid));
        return switches().applyTo(env);
    }

    /**
     * Every node's proxy in one multi-host URL, or the VIP alone; hosts as the gateway reaches the proxies. Behind a
     * pooler in transaction mode the pooler alone, and no server-side prepared statements (they would outlive the
     * transaction on a server connection another client gets next: pgjdbc's prepareThreshold=0).
     */
    public String databaseUrl(Topology topology) {
        List<FaultProxy> proxies = network.entryForGateway(topology == Topology.MULTI_HOST);
        return "jdbc:postgresql://" + proxies.stream().map(network::addressForGateway)
                .collect(Collectors.joining(",")) + "/" + cluster.database() + "?targetServerType=primary"
                + (network.pooler().filter(p -> p.poolsTransactions()).isPresent() ? "&prepareThreshold=0" : "");
    }

    /**
     * Behind a transaction pooler the gateway's startup options (its statement_timeout) cannot reach PostgreSQL: the
     * operator sets them on the gateway's role instead, as done here; without a pooler the role carries none.
     */
    public void applyRoleSettings() {
        boolean viaRole = network.pooler().filter(p -> p.poolsTransactions()).isPresent() && !settings.text("gateway.defects").contains("no-statement-timeout");
        cluster.primary().execute(cluster.database(), "ALTER ROLE " + cluster.gatewayRole()
                + (viaRole ? " SET statement_timeout = " + settings.integer("gateway.statement-timeout-ms") : " RESET statement_timeout"));
    }

    /** The run's -Dgateway.env.NAME=VALUE switches. */
    public GatewaySwitches switches() {
        return GatewaySwitches.from(settings);
    }

    public int poolIdleSize() {
        return settings.integer("gateway.pool.min-idle");
    }

    public int poolMaxSize() {
        return settings.integer("gateway.pool.max");
    }

    /** The timeouts the suite gives the reference gateway: all set, from the {@code gateway.*} settings. */
    public GatewayTimeouts timeouts() {
        return GatewayTimeouts.configured(settings);
    }

    /** For the report; no secrets. */
    public Map<String, String> describe(String gateway, String pid, String databaseUrl) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("gateway", gateway);
        d.put("pid", pid);
        d.put("database URL", databaseUrl);
        d.put("pool", "min idle " + poolIdleSize() + ", max " + poolMaxSize() + ", timeout " + timeouts().pool().toMillis()
                + " ms, max lifetime " + settings.text("gateway.pool.max-lifetime-ms") + " ms, validation before every use");
        d.put("timeouts", timeouts().describe());
        String defects = settings.text("gateway.defects");
        d.put("defects switched on", defects.isBlank() ? "none" : defects);
        switches().describeInto(d);
        return d;
    }
}
