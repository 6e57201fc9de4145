package io.pgresilience.steps;

import io.cucumber.java.After;
import io.cucumber.java.AfterAll;
import io.cucumber.java.Before;
import io.cucumber.java.Scenario;
import io.pgresilience.evidence.Evidence;
import io.pgresilience.evidence.EvidenceReport;
import io.pgresilience.evidence.Metrics;
import io.pgresilience.evidence.TimelineSvg;
import io.pgresilience.faults.Faults;
import io.pgresilience.lab.DbNode;
import io.pgresilience.lab.LabWorld;
import io.pgresilience.session.Session;
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
    public void prepare() {
        gateway.prepare(gateway.target().defaultTopology());
        gatewayLogOffset = gateway.target().log().size();
    }

    @After
    public void teardown(Scenario scenario) {
        gateway.finish();
        lab.closeOutsideSessions();
        faults.healAll();
        if (!evidence.history().operations().isEmpty()) {
            Metrics m = Metrics.of(evidence.history(), gateway.bounds().sustain());
            scenario.attach(EvidenceReport.text(scenario.getName(), evidence, m, gateway.bounds())
                    .getBytes(StandardCharsets.UTF_8), "text/plain", "evidence");
            scenario.attach(TimelineSvg.render(scenario.getName(), evidence.history()).getBytes(StandardCharsets.UTF_8),
                    "image/svg+xml", "timeline");
            scenario.attach(EvidenceReport.json(evidence, m).getBytes(StandardCharsets.UTF_8), "application/json",
                    "history.json");
        }
        if (scenario.isFailed()) {
            scenario.attach(gateway.target().log().since(gatewayLogOffset).getBytes(StandardCharsets.UTF_8),
                    "text/plain", "gateway log (this scenario)");
            for (DbNode n : lab.cluster().nodes()) {
                scenario.attach(lab.logSinceScenarioStart(n).getBytes(StandardCharsets.UTF_8), "text/plain",
                        "PostgreSQL log of " + n.name() + " (this scenario)");
            }
        }
    }

    @AfterAll
    public static void endRun() {
        Session.end();
    }
}
