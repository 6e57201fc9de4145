package io.pgresilience.session;

import io.pgresilience.config.Settings;
import io.pgresilience.faults.LabNetwork;
import io.pgresilience.lab.DbCluster;
import io.pgresilience.lab.Lab;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.lab.Labs;
import io.pgresilience.lab.LabException;
import io.pgresilience.lab.Leftovers;
import io.pgresilience.lab.OsUser;
import io.pgresilience.lab.PgBinaries;
import io.pgresilience.target.ContextForgeTarget;
import io.pgresilience.target.ExternalTarget;
import io.pgresilience.target.GatewayTarget;
import io.pgresilience.target.ReferenceTarget;
import io.pgresilience.target.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One run of the suite: the lab (database cluster and the proxies in front of it) and the gateway under test,
 * started once on first use and stopped when the run ends (also on Ctrl-C). Scenarios share it; before each
 * one, {@link #prepareScenario} undoes whatever the previous one left.
 */
public final class Session implements AutoCloseable {

    public static final Path REPORTS = Path.of("reports");
    private static final List<String> TARGETS = List.of("reference", "contextforge", "external");

    private static Session current;
    private static LabException startFailure;

    private final Settings settings;
    private final LabDirectory directory;
    private final Lab lab;
    private final GatewayTarget target;
    private final Map<String, String> figures = new LinkedHashMap<>();

    private Session(Settings settings, LabDirectory directory, Lab lab, GatewayTarget target) {
        this.settings = settings;
        this.directory = directory;
        this.lab = lab;
        this.target = target;
    }

    /** The run's session, started on first use; a start failure is remembered and re-reported, not retried. */
    public static synchronized Session get() {
        if (startFailure != null) {
            throw startFailure;
        }
        if (current == null) {
            try {
                current = start(Settings.load());
            } catch (LabException | IllegalArgumentException e) {
                startFailure = e instanceof LabException le ? le : new LabException(e.getMessage(), e);
                System.err.println("pg-resilience: " + startFailure.getMessage());
                throw startFailure;
            }
            Runtime.getRuntime().addShutdownHook(new Thread(Session::end, "pg-resilience-teardown"));
        }
        return current;
    }

    /** Every secret of the current run (lab passwords, gateway token), empty when no run started. */
    public static synchronized Map<String, String> currentSecrets() {
        Map<String, String> all = new LinkedHashMap<>();
        if (current != null) {
            all.putAll(current.target.secrets());
            if (current.lab != null) {
                all.putAll(current.lab.cluster().secrets());
            }
        }
        return all;
    }

    /** Stops everything the run started; safe to call twice. */
    public static synchronized void end() {
        if (current != null) {
            current.close();
            current = null;
        }
    }

    private static Session start(Settings settings) {
        String targetName = settings.text("target");
        String labName = settings.text("lab");
        if (!TARGETS.contains(targetName)) {
            throw new LabException("unknown target '" + targetName + "' (known: " + String.join(", ", TARGETS) + ")");
        }
        if (!Labs.KINDS.contains(labName)) {
            throw new LabException("unknown lab '" + labName + "' (known: " + String.join(", ", Labs.KINDS) + ")");
        }
        if (targetName.equals("external")) {
            // The suite runs neither this gateway nor its database: no lab, only the gateway's address and token.
            Session s = new Session(settings, null, null, new ExternalTarget(settings));
            s.writeRunContext("none (the suite does not control an external gateway's database)");
            return s;
        }
        long t0 = System.nanoTime();
        OsUser user = labName.equals("embedded") ? OsUser.forPostgres(settings.text("lab.os-user")) : OsUser.forPostgres("");
        PgBinaries bin = labName.equals("embedded") ? PgBinaries.locate(settings.text("pg.bin")) : null;
        Leftovers leftovers = new Leftovers(bin, user);
        LabDirectory directory = LabDirectory.create(Path.of(settings.text("lab.dir")), user, leftovers);
        if (!leftovers.cleaned().isEmpty()) {
            System.err.println("pg-resilience: cleaned up after an earlier run: " + String.join("; ", leftovers.cleaned()));
        }
        Lab lab = null;
        GatewayTarget target = null;
        try {
            lab = Labs.start(labName, settings, directory);
            applyLabDefects(settings.text("lab.defects"), lab.cluster());
            long t1 = System.nanoTime();
            target = createTarget(targetName, settings, lab, directory);
            target.prepare(target.defaultTopology());
            long t2 = System.nanoTime();
            Session s = new Session(settings, directory, lab, target);
            s.figures.put("lab ready (primary + standby + proxies + gateway)", ms(t2 - t0));
            s.figures.put("database cluster ready (primary + standby)", ms(t1 - t0));
            s.figures.put("gateway ready", ms(t2 - t1));
            s.writeRunContext(labName);
            System.err.println("pg-resilience: lab ready in " + ms(t2 - t0) + " (" + lab.cluster().topology() + "; "
                    + lab.cluster().postgresVersion() + "; gateway " + target.name() + " " + target.version() + " at "
                    + target.baseUrl() + ")");
            return s;
        } catch (RuntimeException e) {
            closeQuietly(target);
            closeQuietly(lab);
            directory.delete();
            throw e;
        }
    }

    private static GatewayTarget createTarget(String name, Settings settings, Lab lab, LabDirectory directory) {
        Path logs = REPORTS.resolve("logs");
        return switch (name) {
            case "reference" -> lab.gatewayInContainer()
                    ? io.pgresilience.lab.containers.ContainerLab.referenceGateway(settings, lab, directory, logs)
                    : new ReferenceTarget(settings, lab.cluster(), lab.network(), directory, logs);
            case "contextforge" -> {
                if (lab.gatewayInContainer()) {
                    throw new LabException("target=contextforge runs ContextForge from PyPI on this host: use it with lab=embedded");
                }
                yield new ContextForgeTarget(settings, lab.cluster(), lab.network(), directory, logs);
            }
            default -> throw new LabException("unknown target '" + name + "'");
        };
    }

    /** Misconfigurations of the database that the suite must catch (test aids, off by default). */
    private static void applyLabDefects(String defects, DbCluster cluster) {
        for (String d : defects.split(",")) {
            switch (d.trim()) {
                case "" -> { }
                case "synchronous-commit-local" -> cluster.primary().execute(cluster.database(),
                        "ALTER ROLE " + cluster.gatewayRole() + " SET synchronous_commit = local");
                default -> throw new LabException("unknown lab defect '" + d.trim() + "' (known: synchronous-commit-local)");
            }
        }
    }

    private void writeRunContext(String labName) {
        Map<String, String> labFacts = new LinkedHashMap<>();
        labFacts.put("target", target.name());
        labFacts.put("lab", labName);
        if (lab != null) {
            labFacts.put("PostgreSQL", lab.cluster().postgresVersion());
            labFacts.put("topology", lab.cluster().topology() + "; the gateway reaches it through "
                    + target.defaultTopology().phrase() + " (FO-01 runs both topologies and both replication modes)");
        }
        Map<String, String> gateway = new LinkedHashMap<>(target.describe());
        gateway.remove("pid");
        Map<String, String> deadlines = new LinkedHashMap<>(figures);
        deadlines.put("SLOs the judge holds " + target.name() + " to", io.pgresilience.config.Slo.of(settings, target.name(),
                target.poolTimeout()).describe() + "; a request may take at most " + target.requestBound().toMillis()
                + " ms; readiness sampled every " + settings.text("readiness.sample-ms") + " ms");
        deadlines.put("deadlines of the suite's own waits on the lab", "sessions and pools " + settings.text("deadline.detect-ms")
                + " / " + settings.text("deadline.recover-ms") + " / " + settings.text("deadline.rto-ms") + " ms, polled every "
                + settings.text("poll.interval-ms") + " ms");
        String labDefects = settings.text("lab.defects");
        if (!labDefects.isBlank()) {
            deadlines.put("lab defects switched on", labDefects);
        }
        io.pgresilience.report.RunContext.write(io.pgresilience.report.RunContext.of(gateway, labFacts, deadlines));
    }

    private static String ms(long nanos) {
        return Duration.ofNanos(nanos).toMillis() + " ms";
    }

    /** Undo what the last scenario left, then make the gateway ready in the topology this scenario wants. */
    public void prepareScenario(Topology topology) {
        if (lab == null) {
            return;
        }
        lab.network().healAll();
        lab.cluster().ensureHealthy();
        lab.network().pointVipAt(lab.cluster().primary());
        target.prepare(topology);
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

    public Map<String, String> figures() {
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
