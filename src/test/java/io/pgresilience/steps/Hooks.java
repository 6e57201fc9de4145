package io.pgresilience.steps;

import io.pgresilience.run.RunContext;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import io.cucumber.java.After;
import io.cucumber.java.AfterAll;
import io.cucumber.java.Before;
import io.cucumber.java.Scenario;
import io.pgresilience.evidence.Evidence;
import io.pgresilience.evidence.History;
import io.pgresilience.evidence.Judge;
import io.pgresilience.evidence.Operation;
import io.pgresilience.evidence.Verdict;
import io.pgresilience.lab.GatewaySessions;
import io.pgresilience.support.Wait;
import java.time.Duration;
import java.util.List;
import io.pgresilience.evidence.EvidenceReport;
import io.pgresilience.evidence.Metrics;
import io.pgresilience.evidence.TimelineSvg;
import io.pgresilience.world.Faults;
import io.pgresilience.lab.DbNode;
import io.pgresilience.world.LabWorld;
import io.pgresilience.support.SecretScan;
import io.pgresilience.run.Runs;
import io.pgresilience.targets.Capability;
import io.pgresilience.world.GatewayWorld;
import java.nio.charset.StandardCharsets;

/**
 * Around every scenario: the lab is repaired and the gateway made ready before; after, whatever happened, the
 * background requests end, outside locks go, the network heals, and the evidence (plus, on failure, the
 * gateway's and PostgreSQL's logs of this scenario) is attached to the report.
 */
public class Hooks {

    private final Evidence evidence;
    private final GatewayWorld gateway;
    private final LabWorld lab;
    private final Faults faults;
    private long gatewayLogOffset;

    public Hooks(Evidence evidence, GatewayWorld gateway, LabWorld lab, Faults faults) {
        this.evidence = evidence;
        this.gateway = gateway;
        this.lab = lab;
        this.faults = faults;
    }

    @Before(order = 0)
    public void prepare(Scenario scenario) {
        if (!gateway.target().has(Capability.LAB_CONTROL) && scenario.getSourceTagNames().contains("@input-safety")) {
            // The guard rails need no fault, so they run against a gateway whose database the suite does not control.
            gatewayLogOffset = gateway.target().log().size();
            return;
        }
        gateway.require(Capability.LAB_CONTROL);
        lab.network().pooler().ifPresent(p -> p.onExit(why -> {
            System.err.println("pg-resilience: " + scenario.getName() + ": " + why);
            evidence.event("pooler exited", why);
        }));
        lab.markLogs();
        gateway.prepare(gateway.defaultTopology());
        gatewayLogOffset = gateway.target().log().size();
        gateway.logFrom(gatewayLogOffset);
        gateway.startReadinessSampling();
    }

    /**
     * After every scenario, whatever happened: the background requests end (or are left pending for the judge), outside
     * locks go, the network heals. A fault scenario that passed its steps is then judged as a whole — every request and
     * every write — and fails here if the judge finds a broken rule. The evidence (plus, on failure, the gateway's and
     * PostgreSQL's logs of this scenario) is attached to the report.
     */
    @After
    public void teardown(Scenario scenario) {
        History h = evidence.history();
        boolean judged = gateway.target().has(Capability.LAB_CONTROL) && h.first(History.FAULT).isPresent() && !scenario.isFailed();
        if (judged) {
            gateway.letRecoveryShow();
        }
        gateway.finish();
        if (!gateway.target().has(Capability.LAB_CONTROL)) {
            return;
        }
        List<Operation> ops = h.operations();
        List<History.Pending> pending = h.pending();
        List<History.Event> events = h.events();
        long judgedAt = h.now();
        List<String> notUndone = faults.undoAll();
        if (!notUndone.isEmpty()) {
            evidence.note("faults that could not be undone (the lab repairs them before the next scenario)", String.join("; ", notUndone));
        }
        Judge.Judgement judgement = null;
        if (judged) {
            judgement = judge(ops, pending, events, judgedAt);
            evidence.judgement(judgement);
        }
        if (!ops.isEmpty()) {
            Metrics m = Metrics.of(h, gateway.bounds().sustain());
            attach(scenario, "evidence", "text/plain", "txt", EvidenceReport.text(scenario.getName(), evidence, m, gateway.bounds(),
                    gateway.slo(), gateway.target().requestBound().toMillis()));
            attach(scenario, "timeline", "image/svg+xml", "svg", TimelineSvg.render(scenario.getName(), h, evidence.verdict()));
            attach(scenario, "history.json", "application/json", "json", EvidenceReport.json(evidence, m));
            if (judgement != null) {
                attach(scenario, "the judge's rules (" + (judgement.held() ? "all held" : judgement.broken().size() + " broken") + ")",
                        "text/plain", "txt", EvidenceReport.judgement(judgement).strip());
            }
        }
        boolean broken = judgement != null && !judgement.held();
        if (scenario.isFailed() || broken) {
            attach(scenario, "gateway log (this scenario)", "text/plain", "txt", gateway.target().log().since(gatewayLogOffset));
            for (DbNode n : lab.cluster().nodes()) {
                attach(scenario, "PostgreSQL log of " + n.name() + " (this scenario)", "text/plain", "txt",
                        lab.logSinceScenarioStart(n));
            }
            String pooler = lab.poolerLogSinceScenarioStart();
            if (!pooler.isEmpty()) {
                attach(scenario, lab.network().pooler().map(io.pgresilience.lab.Pooler::kind).orElse("pooler")
                        + " log (this scenario)", "text/plain", "txt", pooler);
            }
        }
        if (broken) {
            throw new AssertionError(judgement.failure());
        }
    }

    /** The judge's inputs: the writes as the current primary holds them, the gateway's connections once the load ended. */
    private Judge.Judgement judge(List<Operation> ops, List<History.Pending> pending, List<History.Event> events, long at) {
        DbNode primary = lab.primary();
        GatewaySessions sessions = lab.gatewaySessionsOn(primary);
        Verdict verdict = null;
        if (ops.stream().anyMatch(Operation::isWrite)) {
            // Every server this scenario wrote (background traffic and steps alike) has a name with its prefix.
            verdict = Verdict.judge(ops, sessions.namesWithPrefix(gateway.target().profile().serversTable(), evidence.key("")));
            evidence.verdict(verdict);
        }
        Duration within = gateway.bounds().requestSlack();
        List<String> busy = Wait.until("no session of the gateway is busy once the load ended", within, gateway.bounds().poll(),
                () -> sessions.backends().stream().filter(GatewaySessions.Backend::busy)
                        .map(b -> "session " + b.pid() + " on " + primary.name() + " " + b.state() + ": " + b.query()).toList(),
                List::isEmpty, false);
        Integer borrowed = null;
        if (gateway.target().has(Capability.POOL_STATS)) {
            borrowed = Wait.until("every connection is back in the gateway's pool", within, gateway.bounds().poll(),
                    () -> gateway.client().poolStats().status() == 200
                            ? gateway.client().poolStats().integer("active") : -1,
                    n -> n == 0, false);
        }
        Judge.Terms terms = new Judge.Terms(gateway.target().requestBound().toMillis(), gateway.slo().detect().toMillis(),
                gateway.slo().recover().toMillis(), gateway.slo().rto().toMillis(), gateway.bounds().sustain().toMillis(),
                evidence.isOutage(), evidence.allowedInFault(), evidence.lossAllowed());
        return Judge.judge(ops, pending, events, at, terms, verdict, new Judge.Leaks(borrowed, busy));
    }

    private static void attach(Scenario scenario, String name, String mimeType, String extension, String text) {
        scenario.attach(text.getBytes(StandardCharsets.UTF_8), mimeType, name);
    }

    /** Stops every lab; then no secret of the run may appear in its reports, Allure results or captured logs. */
    @AfterAll
    public static void endRun() throws IOException {
        Map<String, String> secrets = Runs.secrets();
        Runs.endAll();
        List<String> leaks = SecretScan.leaks(secrets, List.of(Path.of("reports"),
                RunContext.ALLURE_RESULTS));
        if (!leaks.isEmpty()) {
            throw new IllegalStateException("pg-resilience: a secret of this run leaked into its output: " + leaks);
        }
    }
}
