package io.pgresilience.steps;

import io.pgresilience.support.Wait;
import java.util.Collection;
import java.util.Locale;
import java.util.Objects;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import io.cucumber.java.en.Given;
import io.cucumber.java.en.Then;
import io.cucumber.java.en.When;
import io.pgresilience.faults.CommitCut;
import io.pgresilience.lab.GatewaySessions;
import java.util.Optional;
import io.pgresilience.world.LabWorld;
import io.pgresilience.targets.Capability;
import io.pgresilience.world.Faults;
import io.pgresilience.world.GatewayWorld;
import io.pgresilience.targets.Reply;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** TX-01..TX-03: deadlocks, statement timeouts and a connection lost halfway through a write. */
public class TransactionSteps {

    private static final String ORIGINAL = "created by pg-resilience";

    private final GatewayWorld gateway;
    private final LabWorld lab;
    private final Faults faults;
    private final Map<String, CompletableFuture<Reply>> updates = new LinkedHashMap<>();
    private CompletableFuture<Reply> write;
    private String writtenServer;
    private List<String> writtenTools = List.of();
    private List<String> toolIds;
    private long deadlocksBefore;
    private CommitCut commitCut;

    public TransactionSteps(GatewayWorld gateway, LabWorld lab, Faults faults) {
        this.gateway = gateway;
        this.lab = lab;
        this.faults = faults;
    }

    private String key(String name) {
        return gateway.evidenceKey(name);
    }

    @Given("servers {string}, {string}, {string} and {string} exist")
    public void fourServersExist(String a, String b, String c, String d) {
        serversExist(List.of(a, b, c, d));
    }

    @Given("servers {string} and {string} exist")
    public void twoServersExist(String a, String b) {
        serversExist(List.of(a, b));
    }

    private void serversExist(List<String> names) {
        for (String n : names) {
            Reply r = gateway.client().createServer(key(n));
            assertThat("create " + n + ": " + r.summary(), r.status(), anyOf(is(200), is(201)));
        }
    }

    @Given("an outside session holds the rows of {string} and {string}")
    public void anOutsideSessionHoldsTheRowsOfTwo(String a, String b) {
        holdRows(List.of(a, b));
    }

    @Given("an outside session holds the rows of {string}")
    public void anOutsideSessionHoldsTheRowsOf(String a) {
        holdRows(List.of(a));
    }

    private void holdRows(List<String> names) {
        gateway.require(Capability.DATABASE_ROLE);
        deadlocksBefore = lab.onPrimary().deadlocks();
        faults.lockRows(gateway.target().profile().serversTable(), names.stream().map(this::key).toList(), names.toString());
    }

    @When("one request updates {string}, {string} and {string} in that order")
    public void oneRequestUpdatesThree(String a, String b, String c) {
        launchUpdate("request 1", List.of(a, b, c));
    }

    @When("another request updates {string}, {string} and {string} in that order")
    public void anotherRequestUpdatesThree(String a, String b, String c) {
        launchUpdate("request 2", List.of(a, b, c));
    }

    @When("one request updates {string} and {string} in that order")
    public void oneRequestUpdatesTwo(String a, String b) {
        launchUpdate("request 1", List.of(a, b));
    }

    private void launchUpdate(String label, List<String> names) {
        gateway.require(Capability.BULK_UPDATE);
        List<String> keys = names.stream().map(this::key).toList();
        updates.put(label, gateway.launch(() -> gateway.client().bulkUpdate(keys, "set by " + label)));
    }

    @When("both requests wait for the outside session")
    public void bothRequestsWaitForTheOutsideSession() {
        Wait.until("both gateway transactions wait on the outside session's locks", gateway.bounds().detect(), gateway.bounds().poll(),
                () -> lab.onPrimary().backends().stream().filter(GatewaySessions.Backend::waitingOnLock).count(), (is(2L))::matches);
    }

    @When("the outside session releases its rows")
    public void theOutsideSessionReleasesItsRows() {
        lab.lastOutsideSession().release();
        gateway.evidence().heal("the outside session released its rows");
    }

    @Then("PostgreSQL detects a deadlock")
    public void postgresqlDetectsADeadlock() {
        // The server log is immediate; pg_stat_database's counter is flushed lazily (up to seconds later).
        String line = Wait.until("the primary's server log reports a deadlock", gateway.bounds().detect(), gateway.bounds().poll(),
                () -> lab.logSinceScenarioStart(lab.primary()).lines()
                        .filter(l -> l.contains("ERROR:  deadlock detected")).findFirst().orElse(null), Objects::nonNull);
        gateway.evidence().note("PostgreSQL's log", line.trim());
        gateway.evidence().note("deadlocks in pg_stat_database before the scenario / now", deadlocksBefore + " / "
                + lab.onPrimary().deadlocks());
    }

    @Then("one request commits and the other gets 409 with a deadlock error")
    public void oneCommitsTheOtherGets409() {
        gateway.evidence().allowInFault(409, "deadlock_detected");
        List<Reply> replies = awaitAll(updates.values());
        List<Integer> statuses = replies.stream().map(Reply::status).sorted().toList();
        gateway.evidence().note("answers to the two updates", replies.stream().map(Reply::summary).toList().toString());
        // The plan: "one aborted". Two 200s would mean the deadlock victim was hidden from its client.
        assertThat("answers to the two updates: " + replies, statuses, equalTo(List.of(200, 409)));
        for (Reply r : replies) {
            if (r.status() == 409) {
                assertThat("the deadlock victim's error must say deadlock: " + r.summary(),
                        io.pgresilience.evidence.Judge.NAMES_A_DEADLOCK.matcher(GatewaySteps.said(r)).find(), is(true));
            }
        }
    }

    @Then("the descriptions of {string} and {string} come from the same request")
    public void theDescriptionsComeFromTheSameRequest(String a, String b) {
        String da = lab.onPrimary().column(gateway.target().profile().serversTable(), "description", key(a));
        String db = lab.onPrimary().column(gateway.target().profile().serversTable(), "description", key(b));
        gateway.evidence().note("final descriptions of " + a + " / " + b, da + " / " + db);
        assertThat("final state must equal one serial order of the two transactions", da, equalTo(db));
        List<String> committed = new ArrayList<>();
        updates.forEach((label, f) -> {
            if (f.join().status() == 200) {
                committed.add("set by " + label);
            }
        });
        assertThat("the surviving description comes from a request that committed", committed, hasItem(da));
    }

    @Then("the gateway log records the deadlock")
    public void theGatewayLogRecordsTheDeadlock() {
        // Only this scenario's part of the log counts: an earlier line (or the gateway's own start-up line) proves nothing.
        List<String> lines = gateway.logOfThisScenario().lines()
                .filter(l -> l.toLowerCase(Locale.ROOT).contains("deadlock")).toList();
        assertThat("lines of the gateway's log during this scenario that record the deadlock", lines, not(empty()));
        gateway.evidence().note("the gateway's log", lines.get(0).trim());
    }

    @Then("the request fails with a statement timeout error after about the statement timeout")
    public void theRequestFailsWithAStatementTimeoutError() {
        long timeout = gateway.statementTimeout().toMillis();
        Reply r = awaitAll(updates.values()).get(0);
        gateway.evidence().note("statement timeout / answer", timeout + " ms / " + r.summary());
        assertThat("answer to an update held past the statement timeout (a timeout is 504, or 503): " + r.summary(), r.status(),
                anyOf(is(503), is(504)));
        assertThat("the error must name the statement timeout: " + r.summary(),
                io.pgresilience.evidence.Judge.NAMES_A_STATEMENT_TIMEOUT.matcher(GatewaySteps.said(r)).find(), is(true));
        assertThat("how long the update took (statement timeout " + timeout + " ms)", r.latencyMs(),
                allOf(greaterThanOrEqualTo(io.pgresilience.evidence.Judge.timeoutFloorMs(timeout)), lessThanOrEqualTo(timeout + gateway.bounds().requestSlack().toMillis())));
    }

    @Then("the description of {string} is unchanged")
    public void theDescriptionIsUnchanged(String name) {
        assertThat("description of " + name + " after the failed transaction",
                lab.onPrimary().column(gateway.target().profile().serversTable(), "description", key(name)), equalTo(ORIGINAL));
    }

    @Then("the gateway holds no locks in the database")
    public void theGatewayHoldsNoLocks() {
        Wait.until("no lock of the gateway left in pg_locks", gateway.bounds().detect(), gateway.bounds().poll(),
                () -> lab.onPrimary().locks(), (is(0))::matches);
    }

    // --- TX-03 -------------------------------------------------------------------------------------------------

    @When("a request creates server {string} with {int} tools in one call")
    public void aRequestCreatesServerWithTools(String name, int tools) {
        gateway.require(Capability.SERVER_WITH_TOOLS);
        writtenServer = key(name);
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= tools; i++) {
            names.add(writtenServer + "-tool-" + i);
        }
        writtenTools = names;
        write = gateway.launch(this::writeServerWithTools);
    }

    /**
     * The gateway's own multi-row write: the reference writes a server and its tools in one call; ContextForge writes
     * a server and its links to existing tools (created first, outside the measured write).
     */
    private Reply writeServerWithTools() {
        if (!gateway.target().profile().writesToolsByIds()) {
            return gateway.client().createServer(writtenServer, writtenTools);
        }
        if (toolIds == null) {
            List<String> ids = new ArrayList<>();
            for (String t : writtenTools) {
                Reply r = gateway.client().createTool(t);
                assertThat("create tool " + t + ": " + r.summary(), r.status(), anyOf(is(200), is(201)));
                ids.add(r.text("id"));
            }
            toolIds = ids;
        }
        return gateway.client().createServerWithToolIds(writtenServer, toolIds);
    }

    @When("the gateway's write waits halfway, after the server and before its tools")
    public void theWriteWaitsHalfway() {
        Wait.until("the gateway's transaction has written the server and waits to write its tools", gateway.bounds().detect(), gateway.bounds().poll(),
                () -> lab.onPrimary().backends().stream()
                        .anyMatch(b -> b.waitingOnLock() && b.query() != null
                                && b.query().toLowerCase().contains(gateway.target().profile().serverToolsTable())), Boolean.TRUE::equals);
    }

    @Then("that request fails with 503")
    public void thatRequestFailsWith503() {
        Reply r = awaitAll(List.of(write)).get(0);
        assertThat("the write whose connection was dropped: " + r.summary(), r.status(), is(503));
        GatewaySteps.assertNamesTheDatabase(r);
    }

    @Then("neither server {string} nor any of its tools is visible")
    public void nothingOfThePartialWriteIsVisible(String name) {
        // The dropped backend may still be finishing: wait until no session of the gateway is inside a transaction.
        Wait.until("the dropped transaction has ended", gateway.bounds().recover(), gateway.bounds().poll(),
                () -> lab.onPrimary().backends().stream().filter(GatewaySessions.Backend::busy).toList(), (is(empty()))::matches);
        assertThat("server " + writtenServer, lab.onPrimary().column(gateway.target().profile().serversTable(), "name", writtenServer), nullValue());
        if (toolIds == null) {
            // the reference writes the tools with the server; ContextForge's tools exist before, only the links are new
            assertThat("its tools", lab.onPrimary().namesWithPrefix(gateway.target().profile().toolsTable(), writtenServer).keySet(), is(empty()));
        }
        // Every connection was just dropped: the pool may still be opening new ones (a 503 meanwhile), within the recover SLO.
        Reply r = Wait.until("the gateway answers a lookup of " + name + " (not 503)", gateway.slo().recover(), gateway.bounds().poll(),
                () -> gateway.client().findServer(writtenServer), x -> x.status() != 503, false);
        assertThat("the gateway's view of " + name + ": " + r.summary(), r.operation().detail(), equalTo("missing"));
    }

    @Then("the same request succeeds when retried")
    public void theSameRequestSucceedsWhenRetried() {
        Reply r = writeServerWithTools();
        assertThat("the retried write: " + r.summary(), r.status(), anyOf(is(200), is(201)));
        assertThat("server " + writtenServer + " after the retry", lab.onPrimary().column(gateway.target().profile().serversTable(), "name", writtenServer),
                equalTo(writtenServer));
        if (toolIds == null) {
            assertThat("tools written with it", lab.onPrimary().namesWithPrefix(gateway.target().profile().toolsTable(), writtenServer).size(),
                    is(writtenTools.size()));
        }
    }

    // --- TX-04 -------------------------------------------------------------------------------------------------

    @When("the gateway writes a server alone")
    public void theGatewayWritesAServerAlone() {
        writeWhoseCommitAnswerIsLost(0);
    }

    @When("the gateway writes a server with {int} tools")
    public void theGatewayWritesAServerWithTools(int tools) {
        gateway.require(Capability.SERVER_WITH_TOOLS);
        writeWhoseCommitAnswerIsLost(tools);
    }

    /** The cut waits for this write's COMMIT (its statements carry the server's name); tools written by id exist before. */
    private void writeWhoseCommitAnswerIsLost(int tools) {
        writtenServer = key("tx04");
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= tools; i++) {
            names.add(writtenServer + "-tool-" + i);
        }
        writtenTools = names;
        if (tools > 0 && gateway.target().profile().writesToolsByIds()) {
            toolIds = names.stream().map(t -> {
                Reply r = gateway.client().createTool(t);
                assertThat("create tool " + t + ": " + r.summary(), r.status(), anyOf(is(200), is(201)));
                return r.text("id");
            }).toList();
        }
        commitCut = faults.loseTheAnswerToTheCommitOf(writtenServer);
        write = gateway.launch(tools == 0 ? () -> gateway.client().createServer(writtenServer) : this::writeServerWithTools);
    }

    @When("the connection breaks after PostgreSQL has committed the write, before its answer reaches the gateway")
    public void theConnectionBreaksAfterTheCommit() {
        Optional<CommitCut.Fired> fired = commitCut.awaitFired(gateway.target().requestBound());
        fired.ifPresent(f -> gateway.evidence().event("cut", "the connection broke " + f.describe()));
        Reply r = awaitAll(List.of(write)).get(0);
        faults.commitCutOver(commitCut);
        gateway.evidence().note("the write", r.summary());
        assertThat("the connection was never cut at a COMMIT of " + writtenServer + ": the write ended with " + r.summary()
                + " before PostgreSQL answered a COMMIT of it (the window was not hit)", fired.isPresent(), is(true));
        gateway.evidence().note("where the connection broke", fired.get().describe());
        // The cut came after PostgreSQL's answer to the COMMIT: the write must be there (else the window was missed).
        assertThat("rows of server " + writtenServer + " on the primary after the cut (PostgreSQL had answered its COMMIT)",
                storedServers(), greaterThanOrEqualTo(1));
    }

    private int storedServers() {
        return lab.onPrimary().namesWithPrefix(gateway.target().profile().serversTable(), writtenServer).getOrDefault(writtenServer, 0);
    }

    @Then("the write is stored exactly once")
    public void theWriteIsStoredExactlyOnce() {
        // The gateway may still be checking or writing again: wait until none of its sessions is inside a transaction.
        Wait.until("no session of the gateway is busy", gateway.bounds().recover(), gateway.bounds().poll(),
                () -> lab.onPrimary().backends().stream().filter(GatewaySessions.Backend::busy).toList(), (is(empty()))::matches, false);
        Map<String, Integer> servers = lab.onPrimary().namesWithPrefix(gateway.target().profile().serversTable(), writtenServer);
        gateway.evidence().note("rows of " + writtenServer + " on the primary", servers.toString());
        assertThat("servers stored for the one write of " + writtenServer, servers, equalTo(Map.of(writtenServer, 1)));
        if (!writtenTools.isEmpty() && toolIds == null) {
            Map<String, Integer> tools = lab.onPrimary().namesWithPrefix(gateway.target().profile().toolsTable(), writtenServer);
            gateway.evidence().note("tools of " + writtenServer + " on the primary", tools.toString());
            Map<String, Integer> once = new java.util.TreeMap<>();
            writtenTools.forEach(t -> once.put(t, 1));
            assertThat("tools stored for the one write of " + writtenServer, new java.util.TreeMap<>(tools), equalTo(once));
        }
    }

    @Then("the gateway answered that the write succeeded or that its outcome is unknown")
    public void theGatewayAnsweredSuccessOrUnknown() {
        Reply r = write.join();
        String unknown = gateway.target().profile().outcomeUnknownCode();
        boolean succeeded = r.status() >= 200 && r.status() < 300;
        boolean saidUnknown = r.status() == 503 && unknown.equals(r.operation().error());
        assertThat("the gateway's answer to a write PostgreSQL had committed, whose COMMIT answer it never got: "
                + r.summary() + (r.status() == 409 ? " (its own write reported as a conflict: it was written again after the lost answer)"
                : " (a failure for an applied write: a ghost)") + "; it must answer success (having checked) or that the outcome is "
                + "unknown (503 " + unknown + ")", succeeded || saidUnknown, is(true));
    }

    private List<Reply> awaitAll(Collection<CompletableFuture<Reply>> futures) {
        Wait.until("the requests end", gateway.target().requestBound(), gateway.bounds().poll(),
                () -> futures.stream().allMatch(CompletableFuture::isDone), Boolean.TRUE::equals);
        return futures.stream().map(CompletableFuture::join).toList();
    }
}
