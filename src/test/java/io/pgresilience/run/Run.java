package io.pgresilience.run;

import io.pgresilience.config.Settings;
import io.pgresilience.config.Slo;
import io.pgresilience.run.ContainerLab;
import io.pgresilience.faults.LabNetwork;
import io.pgresilience.lab.DbCluster;
import io.pgresilience.run.Lab;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.run.Labs;
import io.pgresilience.support.LabException;
import io.pgresilience.lab.Leftovers;
import io.pgresilience.faults.kernel.KernelLeftovers;
import io.pgresilience.support.OsUser;
import io.pgresilience.lab.PgBinaries;
import io.pgresilience.lab.Deployment;
import io.pgresilience.targets.CommandTarget;
import io.pgresilience.targets.ContextForgeTarget;
import io.pgresilience.targets.deployed.DeployedGateway;
import io.pgresilience.targets.ExternalTarget;
import io.pgresilience.targets.GatewayTarget;
import io.pgresilience.targets.ReferenceTarget;
import io.pgresilience.targets.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import io.pgresilience.config.DeploymentSpec;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One worker's run of the suite: its lab (database cluster and the proxies in front of it) and its gateway under
 * test, each on ports and in a data directory of their own. Started by {@link Runs} on a worker's first scenario
 * and stopped when the run ends (also on Ctrl-C); before each scenario, {@link #prepareScenario} undoes whatever the
 * previous one left.
 */
public final class Run implements AutoCloseable {

    private volatile Topology topology;

    public static final Path REPORTS = Path.of("reports");
    static final List<String> TARGETS = List.of("reference", "contextforge", "command", "external");

    private final int worker;
    private final Settings settings;
    private final Duration restartDowntime;
    private final String restartDowntimeSource;
    private final LabDirectory directory;
    private final Lab lab;
    private final GatewayTarget target;
    private final Map<String, String> figures = new LinkedHashMap<>();
    private final String labName;

    private Run(int worker, Settings settings, LabDirectory directory, Lab lab, GatewayTarget target, String labName) {
        this.worker = worker;
        this.settings = settings;
        this.directory = directory;
        this.lab = lab;
        this.target = target;
        this.labName = labName;
        Optional<DeploymentSpec.Setting> deployed = Labs.deployment(settings).flatMap(d -> d.find("lab", "restart-downtime-ms"));
        boolean told = !settings.text("restart.downtime-ms").isBlank();
        this.restartDowntime = told ? settings.millis("restart.downtime-ms")
                : deployed.map(s -> Duration.ofMillis(Long.parseLong(s.value()))).orElse(Duration.ZERO);
        this.restartDowntimeSource = told ? "-Drestart.downtime-ms" : deployed.map(s -> "deployment " + settings.text("deployment")
                + ": lab.restart-downtime-ms @ " + s.source()).orElse("");
    }

    /** Every secret of this run (lab passwords, gateway token). */
    public Map<String, String> secrets() {
        Map<String, String> all = new LinkedHashMap<>(target.secrets());
        if (lab != null) {
            all.putAll(lab.cluster().secrets());
            lab.network().pooler().ifPresent(p -> all.putAll(p.secrets()));
        }
        return all;
    }

    /** Starts worker {@code worker}'s lab and gateway (1-based; every worker has its own ports, data and logs). */
    public static Run start(Settings settings, int worker) {
        String targetName = settings.text("target");
        String labName = settings.text("lab");
        if (!TARGETS.contains(targetName)) {
            throw new LabException("unknown target '" + targetName + "' (known: " + String.join(", ", TARGETS) + ")");
        }
        if (!Labs.KINDS.contains(labName)) {
            throw new LabException("unknown lab '" + labName + "' (known: " + String.join(", ", Labs.KINDS) + ")");
        }
        Deployment.of(settings.text("topology")); // an unknown one: one line, before anything starts
        Labs.checkFaults(settings); // an unknown engine, or kernel faults this machine or lab cannot make: one line
        Labs.checkDeployment(settings); // an unknown deployment, a part missing or of a version that does not fit: one line
        if (targetName.equals("command")) {
            CommandTarget.prepareOnce(settings); // the profile's command.prepare (e.g. a virtual environment), before any lab
        }
        if (targetName.equals("external")) {
            // The suite runs neither this gateway nor its database: no lab, only the gateway's address and token.
            return new Run(worker, settings, null, null, new ExternalTarget(settings), "none (the suite does not control an external gateway's database)");
        }
        long t0 = System.nanoTime();
        OsUser user = labName.equals("embedded") ? OsUser.forPostgres(settings.text("lab.os-user")) : OsUser.forPostgres("");
        PgBinaries bin = labName.equals("embedded") ? PgBinaries.locate(settings.text("pg.bin")) : null;
        sweepKernelLeftoversOnce();
        Leftovers leftovers = new Leftovers(bin, user);
        LabDirectory directory = LabDirectory.create(LabDirectory.root(settings.text("lab.dir")), user, leftovers, worker);
        if (!leftovers.cleaned().isEmpty()) {
            System.err.println("pg-resilience: cleaned up after an earlier run: " + String.join("; ", leftovers.cleaned()));
        }
        Lab lab = null;
        GatewayTarget target = null;
        try {
            lab = Labs.start(labName, settings, directory);
            applyLabDefects(settings.text("lab.defects"), lab.cluster());
            long t1 = System.nanoTime();
            target = createTarget(targetName, settings, lab, directory, worker);
            target.prepare(defaultTopology(lab, target));
            long t2 = System.nanoTime();
            Run r = new Run(worker, settings, directory, lab, target, labName);
            r.figures.put("lab ready (primary + standby + proxies + gateway)", ms(t2 - t0));
            r.figures.put("database cluster ready (primary + standby)", ms(t1 - t0));
            r.figures.put("gateway ready", ms(t2 - t1));
            System.err.println("pg-resilience: lab " + worker + " ready in " + ms(t2 - t0) + " (" + lab.cluster().topology() + "; "
                    + lab.cluster().postgresVersion() + "; gateway " + target.name() + " " + target.version() + " at "
                    + target.baseUrl() + ")");
            return r;
        } catch (RuntimeException | Error e) {
            closeQuietly(target);
            closeQuietly(lab);
            directory.delete();
            throw e;
        }
    }

    private static final AtomicBoolean KERNEL_SWEPT = new AtomicBoolean();

    /**
     * Once per JVM, before any lab: removes the network namespaces and links of kernel nets whose owner JVM is gone (a
     * killed run). Silent where nothing can have been made (no CAP_NET_ADMIN, no ip); a failed sweep is one line, not a
     * failed run.
     */
    private static void sweepKernelLeftoversOnce() {
        if (!KERNEL_SWEPT.compareAndSet(false, true)) {
            return;
        }
        try {
            List<String> removed = KernelLeftovers.sweep();
            if (!removed.isEmpty()) {
                System.err.println("pg-resilience: cleaned up after an earlier run: " + String.join("; ", removed));
            }
        } catch (RuntimeException e) {
            System.err.println("pg-resilience: the sweep of kernel nets left by earlier runs failed: " + e.getMessage());
        }
    }

    public int worker() {
        return worker;
    }

    private static GatewayTarget createTarget(String name, Settings settings, Lab lab, LabDirectory directory, int worker) {
        // One lab keeps its logs in reports/logs; with several, each lab has its own folder there.
        Path logs = REPORTS.resolve("logs");
        if (settings.integer("labs") > 1) {
            logs = logs.resolve("lab-" + worker);
        }
        return switch (name) {
            case "reference" -> lab.gatewayInContainer()
                    ? ContainerLab.referenceGateway(settings, lab, directory, logs)
                    : new ReferenceTarget(settings, lab.cluster(), lab.network(), directory, logs);
            case "contextforge" -> {
                if (lab.gatewayInContainer()) {
                    throw new LabException("target=contextforge runs ContextForge from PyPI on this host: use it with lab=embedded");
                }
                if (!settings.text("deployment").isBlank()) {
                    yield new DeployedGateway(settings, Labs.deployment(settings).get(), lab.cluster(), lab.network(), directory, logs);
                }
                yield new ContextForgeTarget(settings, lab.cluster(), lab.network(), directory, logs);
            }
            case "command" -> {
                if (lab.gatewayInContainer()) {
                    throw new LabException("target=command starts the gateway's command on this host: use it with lab=embedded");
                }
                yield new CommandTarget(settings, lab.cluster(), lab.network(), directory, logs);
            }
            default -> throw new LabException("unknown target '" + name + "'");
        };
    }

    /** Misconfigurations of the database that the suite must catch (test aids, off by default). */
    private static void applyLabDefects(String defects, DbCluster cluster) {
        for (String d : defects.split(",")) {
            switch (d.trim()) {
                case "", io.pgresilience.support.CleanEnvironment.DEFECT -> { } // read where each process is started
                case "synchronous-commit-local" -> cluster.primary().execute(cluster.database(),
                        "ALTER ROLE " + cluster.gatewayRole() + " SET synchronous_commit = local");
                case "ha-manager-hangs" -> {
                    try {
                        cluster.haManagerHangsWhenCutOff();
                    } catch (UnsupportedOperationException e) {
                        throw new LabException("lab defect ha-manager-hangs: " + e.getMessage());
                    }
                }
                default -> throw new LabException("unknown lab defect '" + d.trim() + "' (known: synchronous-commit-local, ha-manager-hangs, "
                        + io.pgresilience.support.CleanEnvironment.DEFECT + ")");
            }
        }
    }

    /** What this run is, for the run context: the target, the lab, and the deadlines and SLOs it is held to. */
    Map<String, String> targetFacts() {
        Map<String, String> gateway = new LinkedHashMap<>(target.describe());
        gateway.remove("pid");
        return gateway;
    }

    Map<String, String> labFacts() {
        Map<String, String> labFacts = new LinkedHashMap<>();
        labFacts.put("target", target.name());
        labFacts.put("lab", labName);
        if (lab != null) {
            labFacts.put("PostgreSQL", lab.cluster().postgresVersion());
            labFacts.put("fault proxies", lab.network().proxies());
            Deployment deployment = Deployment.of(settings.text("topology"));
            labFacts.put("deployment (-Dtopology=" + deployment.key() + ")", deployment.phrase());
            lab.network().pooler().ifPresent(p -> labFacts.put(p.poolsTransactions() ? "pooler" : "router", p.describe() + "; "
                    + p.settings().entrySet().stream().map(e -> e.getKey() + " = " + e.getValue())
                    .collect(java.util.stream.Collectors.joining(", "))
                    + (target.name().equals("reference") && p.poolsTransactions() ? "; the gateway's statement_timeout is set on its role" : "")));
            labFacts.put("topology", lab.cluster().topology() + "; the gateway reaches it through "
                    + defaultTopology().phrase() + lab.network().pooler().map(p -> " (" + p.kind() + ")")
                    .orElse(" (FO-01 runs both topologies and both replication modes)"));
        }
        Duration down = restartDowntime();
        labFacts.put("a restart of PostgreSQL", down.isZero() ? "pg_ctl stop -m fast, then started again at once"
                : "pg_ctl stop -m fast, the database kept down " + down.toMillis() + " ms, then started again ("
                + restartDowntimeSource + ")");
        List<String> ignored = io.pgresilience.support.CleanEnvironment.ignored();
        labFacts.put("shell environment", "the gateway gets " + String.join(", ", io.pgresilience.support.CleanEnvironment.BASE)
                + " from the shell and its profile's variables; no process of the lab gets a libpq (PG*) variable"
                + (ignored.isEmpty() ? "" : "; set in the shell and ignored: " + String.join(", ", ignored)));
        return labFacts;
    }

    Map<String, String> deadlines() {
        Map<String, String> deadlines = new LinkedHashMap<>();
        deadlines.put("SLOs the judge holds " + target.name() + " to", Slo.of(settings, target.name(),
                target.poolTimeout()).describe() + " (RTO of a primary cut off under an HA manager ≤ "
                + Slo.isolatedRto(settings, target.name()).toMillis() + " ms); a request may take at most " + target.requestBound().toMillis()
                + " ms; readiness sampled every " + settings.text("readiness.sample-ms") + " ms");
        deadlines.put("deadlines of the suite's own waits on the lab", "sessions and pools " + settings.text("deadline.detect-ms")
                + " / " + settings.text("deadline.recover-ms") + " / " + settings.text("deadline.rto-ms") + " ms, polled every "
                + settings.text("poll.interval-ms") + " ms");
        deadlines.put("deadlines of the gateway's start", "ready within " + settings.text("deadline.gateway-start-ms")
                + " ms" + (target.name().equals("command") ? "; a token command within "
                + settings.text("gateway.token-command-timeout-ms") + " ms" : ""));
        String labDefects = settings.text("lab.defects");
        if (!labDefects.isBlank()) {
            deadlines.put("lab defects switched on", labDefects);
        }
        return deadlines;
    }

    /**
     * How long a restart keeps PostgreSQL down at least: -Drestart.downtime-ms, else the deployment's
     * lab.restart-downtime-ms, else nothing (as quick as pg_ctl stops and starts it).
     */
    public Duration restartDowntime() {
        return restartDowntime;
    }

    private static String ms(long nanos) {
        return Duration.ofNanos(nanos).toMillis() + " ms";
    }

    /** The topology a scenario gets unless it asks: behind a pooler always the pooler's one address. */
    public Topology defaultTopology() {
        return lab == null ? target.defaultTopology() : defaultTopology(lab, target);
    }

    private static Topology defaultTopology(Lab lab, GatewayTarget target) {
        return lab.network().pooler().isPresent() ? Topology.SINGLE_HOST : target.defaultTopology();
    }

    /** Why the gateway cannot be given this topology in this run's deployment, if it cannot. */
    public java.util.Optional<String> cannotReach(Topology topology) {
        if (lab != null && lab.network().pooler().isPresent() && topology != Topology.SINGLE_HOST) {
            return java.util.Optional.of("the gateway reaches the database through " + lab.network().pooler().get().kind()
                    + " (-Dtopology=" + settings.text("topology") + "), one address: " + topology.phrase()
                    + " means nothing there");
        }
        return java.util.Optional.empty();
    }

    /**
     * A query as the gateway's role through the pooler or router succeeds (it may still refuse logins after a failed
     * server connect, or route to the old primary): the gateway is not restarted into a hop that is not ready.
     */
    private void awaitQueriesThrough(io.pgresilience.lab.Pooler hop) {
        if (!hop.isRunning()) {
            throw new LabException(hop.kind() + " is not running: it exited during an earlier scenario and was not restarted"
                    + " (pooler.restart; its log is in reports/logs)");
        }
        DbCluster c = lab.cluster();
        String url = "jdbc:postgresql://" + hop.host() + ":" + hop.port() + "/" + c.database()
                + "?prepareThreshold=0&connectTimeout=2&socketTimeout=5&ApplicationName=pg-resilience-lab";
        String last = io.pgresilience.support.Wait.until("a query as " + c.gatewayRole() + " through " + hop.describe(),
                Duration.ofMillis(settings.integer("deadline.lab-ms")), Duration.ofMillis(settings.integer("poll.interval-ms")), () -> {
                    try (java.sql.Connection conn = java.sql.DriverManager.getConnection(url, c.gatewayRole(), c.gatewayPassword());
                         java.sql.Statement st = conn.createStatement()) {
                        st.execute("SELECT 1");
                        return "";
                    } catch (java.sql.SQLException e) {
                        return e.getMessage();
                    }
                }, String::isEmpty, false);
        if (!last.isEmpty()) {
            throw new LabException("no query gets through " + hop.describe() + " within " + settings.text("deadline.lab-ms")
                    + " ms; last: " + last);
        }
    }

    /** Undo what the last scenario left, then make the gateway ready in the topology this scenario wants. */
    public void prepareScenario(Topology topology) {
        if (lab == null) {
            return;
        }
        lab.network().healAll();
        lab.cluster().ensureHealthy();
        lab.network().pointVipAt(lab.cluster().primary());
        lab.network().pooler().ifPresent(this::awaitQueriesThrough);
        target.prepare(topology);
        this.topology = topology;
    }

    /** The gateway's own links to the database in the topology it was last made ready in: its first hop. */
    public List<io.pgresilience.faults.FaultProxy> gatewayHops() {
        return lab.network().entryForGateway(topology == Topology.MULTI_HOST);
    }

    public Settings settings() {
        return settings;
    }

    public DbCluster cluster() {
        if (lab == null) {
            throw new IllegalStateException("this run has no lab: the target is not run by the suite");
        }
        return lab.cluster();
    }

    public LabNetwork network() {
        if (lab == null) {
            throw new IllegalStateException("this run has no lab: the target is not run by the suite");
        }
        return lab.network();
    }

    public GatewayTarget target() {
        return target;
    }

    /** How long this run took to get ready (empty for an external gateway). */
    Map<String, String> figures() {
        return figures;
    }

    @Override
    public void close() {
        closeQuietly(target);
        closeQuietly(lab);
        if (directory != null) {
            directory.delete();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            System.err.println("pg-resilience: teardown of " + c.getClass().getSimpleName() + " failed: " + e.getMessage());
        }
    }
}
