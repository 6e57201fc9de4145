package io.pgresilience.steps;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

import io.cucumber.java.ParameterType;
import io.cucumber.java.en.Given;
import io.cucumber.java.en.Then;
import io.cucumber.java.en.When;
import io.pgresilience.evidence.History;
import io.pgresilience.evidence.Operation;
import io.pgresilience.world.Faults;
import io.pgresilience.world.LabWorld;
import io.pgresilience.lab.OutsideSession;
import io.pgresilience.lab.StopMode;
import io.pgresilience.targets.Capability;
import io.pgresilience.world.GatewayWorld;
import io.pgresilience.targets.Reply;
import java.util.ArrayList;
import java.util.Collections;
import io.pgresilience.support.Wait;
import java.util.List;

/** US-1 and CL-01..CL-04: the database goes away, gets slow or drops connections, then comes back. */
public class ConnectionSteps {

    /** How the gateway's connections are dropped in CL-03 and TX-03. */
    public enum DropMeans { TERMINATE_BACKEND, TCP_RESET }

    private final GatewayWorld gateway;
    private final LabWorld lab;
    private final Faults faults;
    private final GatewaySteps common;
    private List<Integer> pidsBefore = List.of();
    private long baselineMedianMs;
    private OutsideSession holdingAWaitingRequest;

    public ConnectionSteps(GatewayWorld gateway, LabWorld lab, Faults faults, GatewaySteps common) {
        this.gateway = gateway;
        this.lab = lab;
        this.faults = faults;
        this.common = common;
    }

    @ParameterType("pg_terminate_backend|a TCP reset")
    public DropMeans means(String text) {
        return text.equals("pg_terminate_backend") ? DropMeans.TERMINATE_BACKEND : DropMeans.TCP_RESET;
    }

    // --- US-1 story -------------------------------------------------------------------------------------------

    @Given("the database becomes unreachable")
    public void theDatabaseBecomesUnreachable() {
        faults.makeUnreachable();
    }

    @When("a request requiring database access is made")
    public void aRequestRequiringDatabaseAccessIsMade() {
        gateway.remember(gateway.client().listServers());
    }

    @Then("the request should fail with 503 Service Unavailable")
    public void theRequestShouldFailWith503() {
        Reply r = gateway.last();
        assertThat("the request: " + r.summary(), r.status(), is(503));
        assertThat("a 503 must say when to retry", r.header("Retry-After"), notNullValue());
        long slo = gateway.slo().detect().toMillis();
        assertThat("how long the 503 took (SLO to detect: " + slo + " ms): " + r.summary(), r.latencyMs(), lessThanOrEqualTo(slo));
    }

    @Then("the error message should indicate database issues")
    public void theErrorMessageShouldIndicateDatabaseIssues() {
        GatewaySteps.assertNamesTheDatabase(gateway.last());
    }

    @Then("the health check should report unhealthy")
    public void theHealthCheckShouldReportUnhealthy() {
        common.readinessAnswersWithin(503, "detect");
        Reply live = gateway.client().liveness();
        assertThat("liveness stays up while the database is down: " + live.summary(), live.status(), is(200));
    }

    @Given("the database was unreachable")
    public void theDatabaseWasUnreachable() {
        common.theGatewayIsRunningWithPostgreSQL();
        gateway.startWorkload();
        faults.makeUnreachable();
        common.readinessAnswersWithin(503, "detect");
    }

    @When("the database becomes available again")
    public void theDatabaseBecomesAvailableAgain() {
        faults.makeReachable();
    }

    @Then("the connection pool should recover")
    public void theConnectionPoolShouldRecover() {
        gateway.require(Capability.DATABASE_ROLE);
        int idle = gateway.target().poolIdleSize();
        Wait.until("the gateway's pool holds " + idle + " connections to the primary again", gateway.bounds().recover(), gateway.bounds().poll(),
                () -> lab.onPrimary().backends().size(), (greaterThanOrEqualTo(idle))::matches);
    }

    @Then("subsequent requests should succeed")
    public void subsequentRequestsShouldSucceed() {
        common.apiRequestsSucceedAgain();
        gateway.stopWorkload();
        Long heal = gateway.evidence().history().last(History.HEAL).orElseThrow();
        List<Operation> failedLate = gateway.evidence().history().operations().stream()
                .filter(o -> o.startMs() > heal + gateway.bounds().recover().toMillis() && !o.ok()).toList();
        assertThat("requests that failed once the recover deadline had passed", failedLate, is(empty()));
    }

    @Then("health check should return healthy")
    public void healthCheckShouldReturnHealthy() {
        common.readinessAnswersWithin(200, "recover");
    }

    // --- CL-01, CL-02 -----------------------------------------------------------------------------------------

    @When("the primary database is stopped")
    public void thePrimaryDatabaseIsStopped() {
        lab.rememberPrimary(lab.primary());
        faults.stop(lab.oldPrimary(), StopMode.FAST);
    }

    @When("the primary database is started again")
    public void thePrimaryDatabaseIsStartedAgain() {
        faults.start(lab.oldPrimary());
    }

    @When("the network to the primary database is partitioned")
    public void theNetworkToThePrimaryIsPartitioned() {
        lab.rememberPrimary(lab.primary());
        faults.partition(lab.oldPrimary());
        if (holdingAWaitingRequest != null) {
            // The database answers the waiting request now, into the partition: the answer is lost on the way.
            holdingAWaitingRequest.release();
            gateway.evidence().event("answered", "the outside session let go: the database answers the waiting request into the partition");
        }
    }

    /**
     * A request whose query is inside the database when the partition comes: its answer is lost in the partition, so
     * only the gateway's own time limit on a checked-out connection (a socket timeout) can end it.
     */
    @Given("a request is waiting for the database to answer")
    public void aRequestIsWaitingForTheDatabase() {
        gateway.require(Capability.DATABASE_ROLE);
        holdingAWaitingRequest = HeldRequest.holdOne(gateway, lab, faults);
    }

    /** Only where a pooler or router stands between the gateway and PostgreSQL (-Dtopology=pgbouncer|patroni). */
    @Given("the gateway reaches the database through a pooler or router")
    public void theGatewayReachesTheDatabaseThroughAPoolerOrRouter() {
        if (lab.network().poolerLink().isEmpty()) {
            throw new org.opentest4j.TestAbortedException("not run in this deployment: the gateway connects to the database "
                    + "nodes themselves (-Dtopology=direct); no pooler or router stands in front of them");
        }
        gateway.evidence().note("the hop cut", "gateway ↔ " + lab.network().pooler().orElseThrow().describe());
    }

    @When("the network between the gateway and its pooler or router is partitioned")
    public void theNetworkInFrontOfThePoolerIsPartitioned() {
        faults.partitionInFrontOfTheDatabase(lab.network().poolerLink().orElseThrow(),
                lab.network().pooler().orElseThrow().kind());
        if (holdingAWaitingRequest != null) {
            holdingAWaitingRequest.release();
            gateway.evidence().event("answered", "the outside session let go: the database answers the waiting request into the partition");
        }
    }

    @When("the partition heals")
    public void thePartitionHeals() {
        faults.healPartition();
    }

    // --- CL-03 ------------------------------------------------------------------------------------------------

    @Given("the gateway holds connections to the primary database")
    public void theGatewayHoldsConnections() {
        gateway.require(Capability.DATABASE_ROLE);
        pidsBefore = Wait.until("the gateway has sessions on the primary", gateway.bounds().detect(), gateway.bounds().poll(),
                () -> lab.onPrimary().pids(), (not(empty()))::matches);
    }

    /**
     * Every time, a request is inside the database when its connection is dropped (its query waits on a lock an outside
     * session holds, released once the drop is done): without one, whether the drop failed any request — and so whether
     * the gateway's answer to such a request is judged at all — would depend on the timing of the background traffic.
     */
    @When("the gateway's database connections are dropped by {means}")
    public void theConnectionsAreDropped(DropMeans means) {
        lab.rememberPrimary(lab.primary());
        // (a scenario whose own outside session already holds a request inside the database, as TX-03's, keeps it)
        OutsideSession lock = HeldRequest.hold(gateway, lab, faults).orElse(null);
        Runnable letGo = () -> {
            if (lock != null) {
                lock.release();
                gateway.evidence().event("released", "the outside session let go of the lock the dropped requests waited on");
            }
        };
        if (means == DropMeans.TERMINATE_BACKEND) {
            faults.terminateGatewayBackends(lab.oldPrimary(), true);
            letGo.run();
        } else {
            // let go as soon as the reset is in place: the database's answer then meets it (Toxiproxy resets a
            // connection that carries nothing only when data next flows)
            faults.resetConnections(lab.oldPrimary(), gateway.bounds().detect(), letGo);
        }
    }

    @Then("the only requests that failed were in flight at that moment, each with 503")
    public void onlyInFlightRequestsFailed() {
        // Let traffic run past the fault before judging: requests after it must all succeed.
        History h = gateway.evidence().history();
        long healed = h.last(History.HEAL).orElseThrow();
        Wait.until("background traffic continues after the drop", gateway.bounds().recover(), gateway.bounds().poll(),
                () -> h.operations().stream().filter(o -> o.startMs() > healed && o.isWrite()).count() >= 10, Boolean.TRUE::equals);
        gateway.stopWorkload();
        List<String> failedLater = new ArrayList<>();
        List<Integer> statuses = new ArrayList<>();
        for (Operation o : h.operations()) {
            if (!o.ok()) {
                statuses.add(o.status());
                if (o.startMs() > healed) {
                    failedLater.add(o.kind() + " started at " + o.startMs() + " ms: " + o.status() + " " + o.error());
                }
            }
        }
        gateway.evidence().note("requests failed by the drop", Integer.toString(statuses.size()));
        assertThat("requests that started after the drop and still failed", failedLater, is(empty()));
        assertThat("the requests the drop failed answered " + statuses + "; each must be 503", statuses, everyItem(is(503)));
    }

    @Then("the next requests succeed")
    public void theNextRequestsSucceed() {
        for (int i = 1; i <= 10; i++) {
            Reply r = gateway.client().listServers();
            assertThat("request " + i + " after the drop: " + r.summary(), r.status(), is(200));
        }
    }

    /**
     * The dropped connections are gone for sure; what can fail is the pool: it must hold its idle size again, all of
     * them connections opened after the drop (a pool that keeps dead ones, or never refills, stays short).
     */
    @Then("the gateway's pool is refilled with new connections")
    public void thePoolIsRefilledWithNewConnections() {
        int idle = gateway.target().poolIdleSize();
        List<Integer> now = Wait.until("the gateway's pool holds " + idle + " live connections, all opened after the drop",
                gateway.bounds().recover(), gateway.bounds().poll(), () -> lab.onPrimary().pids(),
                pids -> pids.size() >= idle && Collections.disjoint(pids, pidsBefore));
        gateway.evidence().note("backend PIDs before / after", pidsBefore + " / " + now);
    }

    // --- CL-04 ------------------------------------------------------------------------------------------------

    @Given("the gateway's request latency has been measured")
    public void theRequestLatencyHasBeenMeasured() {
        baselineMedianMs = medianLatency(15);
        gateway.evidence().note("median request latency without added latency", baselineMedianMs + " ms");
    }

    @When("{int} ms of latency is added to the primary database's network")
    public void latencyIsAdded(int ms) {
        lab.rememberPrimary(lab.primary());
        faults.latency(lab.oldPrimary(), ms, false);
    }

    @Then("requests still succeed, slower by at least {int} ms")
    public void requestsStillSucceedSlower(int ms) {
        long median = medianLatency(9);
        gateway.evidence().note("median request latency with " + ms + " ms added", median + " ms");
        assertThat("median latency with " + ms + " ms added, baseline " + baselineMedianMs + " ms", median - baselineMedianMs,
                greaterThanOrEqualTo((long) ms));
    }

    @Then("the gateway reports how long its queries took")
    public void theGatewayReportsQueryTime() {
        // The plan records query timing from the gateway; one that does not report it fails here (never green with a note).
        assertThat(gateway.target().name() + " reports how long its queries took", gateway.target().has(Capability.SERVER_TIMING)
                ? "yes" : Capability.SERVER_TIMING.missingReason(), equalTo("yes"));
        Reply r = gateway.client().listServers();
        String timing = r.header("Server-Timing");
        assertThat("Server-Timing header", timing, notNullValue());
        java.util.regex.Matcher dur = io.pgresilience.evidence.Judge.SERVER_TIMING_DURATION.matcher(timing);
        assertThat("Server-Timing header names a duration (" + dur.pattern() + "): " + timing, dur.find(), is(true));
        double db = Double.parseDouble(dur.group(1));
        gateway.evidence().note("query time the gateway reported (Server-Timing)", timing + " (request took " + r.latencyMs() + " ms)");
        assertThat("database time the gateway measured, with 200 ms of latency on every round trip", db,
                greaterThanOrEqualTo(200.0));
    }

    @When("the latency grows beyond the gateway's socket timeout")
    public void theLatencyGrowsBeyondTheSocketTimeout() {
        long ms = gateway.target().requestBound().toMillis() - gateway.bounds().requestSlack().toMillis() + 2_000;
        faults.latency(lab.oldPrimary(), ms, true);
    }

    @When("the latency is removed")
    public void theLatencyIsRemoved() {
        faults.removeLatency();
    }

    private long medianLatency(int samples) {
        List<Long> ms = new ArrayList<>();
        for (int i = 0; i < samples; i++) {
            Reply r = gateway.client().listServers();
            assertThat("request while measuring latency: " + r.summary(), r.status(), is(200));
            ms.add(r.latencyMs());
        }
        Collections.sort(ms);
        return ms.get(ms.size() / 2);
    }
}
