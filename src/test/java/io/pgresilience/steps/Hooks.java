package io.pgresilience.steps;

import io.cucumber.java.After;
import io.cucumber.java.AfterAll;
import io.cucumber.java.Before;
import io.cucumber.java.BeforeAll;
import io.cucumber.java.Scenario;
import io.pgresilience.evidence.Evidence;
import io.pgresilience.evidence.EvidenceReport;
import io.pgresilience.evidence.Metrics;
import io.pgresilience.evidence.TimelineSvg;
import io.pgresilience.faults.Faults;
import io.pgresilience.lab.DbNode;
import io.pgresilience.lab.LabWorld;
import io.pgresilience.report.SecretScan;
import io.pgresilience.session.Session;
import io.pgresilience.target.Capability;
import io.pgresilience.target.GatewayWorld;
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
        lab.markLogs();
        gateway.prepare(gateway.target().defaultTopology());
        gatewayLogOffset = gateway.target().log().size();
    }

    @After
    public void teardown(Scenario scenario) {
        gateway.finish();
        if (!gateway.target().has(Capability.LAB_CONTROL)) {
            return;
        }
        lab.closeOutsideSessions();
        faults.healAll();
        if (!evidence.history().operations().isEmpty()) {
            Metrics m = Metrics.of(evidence.history(), gateway.bounds().sustain());
            attach(scenario, "evidence", "text/plain", "txt", EvidenceReport.text(scenario.getName(), evidence, m, gateway.bounds()));
            attach(scenario, "timeline", "image/svg+xml", "svg", TimelineSvg.render(scenario.getName(), evidence.history(), evidence.verdict()));
            attach(scenario, "history.json", "application/json", "json", EvidenceReport.json(evidence, m));
        }
        if (scenario.isFailed()) {
            attach(scenario, "gateway log (this scenario)", "text/plain", "txt", gateway.target().log().since(gatewayLogOffset));
            for (DbNode n : lab.cluster().nodes()) {
                attach(scenario, "PostgreSQL log of " + n.name() + " (this scenario)", "text/plain", "txt",
                        lab.logSinceScenarioStart(n));
            }
        }
    }

    private static void attach(Scenario scenario, String name, String mimeType, String extension, String text) {
        scenario.attach(text.getBytes(StandardCharsets.UTF_8), mimeType, name);
    }

    /**
     * Starting the lab and the gateway once, before any scenario: if they cannot start, that is one clear failure.
     * A tag filter that selects nothing starts nothing (TagFilterTest reports it).
     */
    @BeforeAll
    public static void startRun() throws java.io.IOException {
        String problem = io.pgresilience.suite.TagFilter.problem(io.pgresilience.suite.TagFilter.given(),
                java.nio.file.Path.of("features"));
        if (problem != null) {
            System.err.println("pg-resilience: " + problem);
            return;
        }
        Session.get();
    }

    /** Stops everything; then no secret of the run may appear in its reports, Allure results or captured logs. */
    @AfterAll
    public static void endRun() throws java.io.IOException {
        java.util.Map<String, String> secrets = Session.currentSecrets();
        Session.end();
        java.util.List<String> leaks = SecretScan.leaks(secrets, java.util.List.of(java.nio.file.Path.of("reports"),
                io.pgresilience.report.RunContext.ALLURE_RESULTS));
        if (!leaks.isEmpty()) {
            throw new IllegalStateException("pg-resilience: a secret of this run leaked into its output: " + leaks);
        }
    }
}
