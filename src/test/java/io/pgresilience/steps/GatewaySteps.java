package io.pgresilience.steps;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;

import io.cucumber.java.en.And;
import io.cucumber.java.en.Given;
import io.cucumber.java.en.Then;
import io.pgresilience.target.GatewayWorld;
import io.pgresilience.target.Reply;
import java.time.Duration;
import java.util.List;

/** Steps about the gateway as a whole: it runs, it answers, it recovers. Shared by every feature. */
public class GatewaySteps {

    /** An error body that names the database (the reference says "database_unavailable"). */
    static final String DATABASE_ERROR = "(?is).*(database|postgres|db).*";
    /** An error body that says the request timed out. */
    static final String TIMEOUT_ERROR = "(?is).*(time.?out|timed out).*";

    private final GatewayWorld gateway;

    public GatewaySteps(GatewayWorld gateway) {
        this.gateway = gateway;
    }

    @Given("the gateway is running with PostgreSQL")
    public void theGatewayIsRunningWithPostgreSQL() {
        // The Before hook has prepared lab and gateway; this proves they work end to end, database included.
        assertThat("readiness: " + gateway.client().readiness().summary(), gateway.client().readiness().status(), is(200));
        Reply list = gateway.client().listServers();
        assertThat("server list: " + list.summary(), list.status(), is(200));
    }

    @Given("a server {string} was created through the gateway")
    public void aServerWasCreated(String name) {
        Reply r = gateway.client().createServer(gateway.evidenceKey(name));
        assertThat("create: " + r.summary(), r.status(), anyOf(is(200), is(201)));
    }

    @Given("background traffic flows through the gateway")
    public void backgroundTrafficFlows() {
        gateway.startWorkload();
        await("the background traffic's first acknowledged write")
                .atMost(gateway.bounds().detect())
                .pollInterval(gateway.bounds().poll())
                .until(() -> gateway.evidence().history().operations().stream().anyMatch(o -> o.isWrite() && o.ok()));
    }

    @Then("readiness answers {int} within the {word} deadline")
    public void readinessAnswersWithin(int status, String deadline) {
        Duration within = gateway.bounds().named(deadline);
        Eventually.answer("readiness answers " + status, within, gateway.bounds().poll(),
                () -> gateway.client().readiness(), r -> r.status() == status);
    }

    @Then("API requests fail with 503 and a database error within the detect deadline")
    public void apiRequestsFailWith503AndADatabaseError() {
        Reply r = Eventually.answer("an API request answers 503 with a database error", gateway.bounds().detect(),
                gateway.bounds().poll(), () -> gateway.client().listServers(), reply -> reply.status() == 503);
        r.then().body(matchesPattern(DATABASE_ERROR));
        assertThat("a 503 must say when to retry", r.header("Retry-After"), org.hamcrest.Matchers.notNullValue());
    }

    @Then("API requests fail with 503 or 504 and a timeout error within the detect deadline")
    public void apiRequestsFailWithATimeoutError() {
        Reply r = Eventually.answer("an API request ends with 503 or 504", gateway.bounds().detect().plus(gateway.target().requestBound()),
                gateway.bounds().poll(), () -> gateway.client().listServers(), reply -> reply.status() == 503 || reply.status() == 504);
        r.then().body(matchesPattern(DATABASE_ERROR)).body(matchesPattern(TIMEOUT_ERROR));
    }

    @Then("API requests succeed again within the recover deadline")
    public void apiRequestsSucceedAgain() {
        Eventually.answer("API requests answer 200 again", gateway.bounds().recover(), gateway.bounds().poll(),
                () -> gateway.client().listServers(), reply -> reply.status() == 200);
        apiRequestsSucceed();
    }

    @And("API requests succeed")
    public void apiRequestsSucceed() {
        // "Succeed" means keep succeeding: every request for the sustain span.
        long until = System.nanoTime() + gateway.bounds().sustain().toNanos();
        int n = 0;
        while (System.nanoTime() < until || n < 3) {
            Reply r = gateway.client().listServers();
            assertThat("request " + (++n) + " after recovery: " + r.summary(), r.status(), is(200));
        }
    }

    @Then("the server {string} is still there")
    public void theServerIsStillThere(String name) {
        String key = gateway.evidenceKey(name);
        Reply r = gateway.client().findServer(key);
        assertThat("read back " + key + ": " + r.summary(), r.operation().detail(), equalTo("found"));
    }

    @Then("no request took longer than the gateway's timeouts allow")
    public void noRequestTookLongerThanAllowed() {
        long bound = gateway.target().requestBound().toMillis();
        gateway.evidence().note("longest a request may take (socket + pool timeout + slack)", bound + " ms");
        List<String> slow = gateway.evidence().history().operations().stream()
                .filter(o -> o.latencyMs() > bound)
                .map(o -> o.kind() + " " + o.status() + " after " + o.latencyMs() + " ms")
                .toList();
        assertThat("requests slower than " + bound + " ms", slow, is(empty()));
    }
}
