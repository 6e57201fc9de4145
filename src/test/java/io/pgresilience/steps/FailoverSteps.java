package io.pgresilience.steps;


import io.pgresilience.targets.Capability;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Objects;
import java.util.Optional;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.anEmptyMap;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import org.opentest4j.TestAbortedException;
import static org.hamcrest.Matchers.not;

import io.cucumber.java.ParameterType;
import io.cucumber.java.en.Given;
import io.cucumber.java.en.Then;
import io.cucumber.java.en.When;
import io.pgresilience.evidence.History;
import io.pgresilience.evidence.Operation;
import io.pgresilience.evidence.Verdict;
import io.pgresilience.world.Faults;
import io.pgresilience.lab.DbNode;
import io.pgresilience.world.LabWorld;
import io.pgresilience.lab.OutsideSession;
import io.pgresilience.lab.StopMode;
import io.pgresilience.world.GatewayWorld;
import io.pgresilience.targets.Reply;
import io.pgresilience.targets.Topology;
import io.pgresilience.support.Wait;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/** US-3 and FO-01..FO-03: the primary fails, the standby lags, two primaries accept writes. */
public class FailoverSteps {

    private final GatewayWorld gateway;
    private final LabWorld lab;
    private final Faults faults;
    private final GatewaySteps common;
    private DbNode newPrimary;
    private final List<String> writtenBefore = new ArrayList<>();
    private final List<String> lagKeys = new ArrayList<>();

    public FailoverSteps(GatewayWorld gateway, LabWorld lab, Faults faults, GatewaySteps common) {
        this.gateway = gateway;
        this.lab = lab;
        this.faults = faults;
        this.common = common;
    }

    @ParameterType("a multi-host URL|a single-host URL through a re-pointed proxy")
    public Topology topology(String phrase) {
        return Topology.fromPhrase(phrase);
    }

    @ParameterType("synchronous|asynchronous")
    public Boolean replication(String mode) {
        return mode.equals("synchronous");
    }

    // --- US-3 story and FO-01 -----------------------------------------------------------------------------------

    @Given("a primary-replica PostgreSQL setup")
    public void aPrimaryReplicaSetup() {
        DbNode primary = lab.primary();
        assertThat("standbys streaming from " + primary.name(), lab.standbysStreaming(), is(1));
        common.theGatewayIsRunningWithPostgreSQL();
        for (int i = 1; i <= 5; i++) {
            String key = gateway.evidenceKey("before-failover-" + i);
            Reply r = gateway.client().createServer(key);
            assertThat("write before the failover: " + r.summary(), r.status(), anyOf(is(200), is(201)));
            writtenBefore.add(key);
        }
        primary.waitForCatchup(lab.standby());
        if (!lab.cluster().synchronous()) {
            gateway.evidence().allowLoss("asynchronous replication across a failover (counted as RPO)");
        }
        common.backgroundTrafficFlows();
    }

    @Given("the gateway reaches the database through {topology}")
    public void theGatewayReachesTheDatabaseThrough(Topology topology) {
        gateway.prepare(topology);
        common.theGatewayIsRunningWithPostgreSQL();
    }

    @Given("the standby replicates with {replication} replication")
    public void theStandbyReplicatesWith(Boolean synchronous) {
        lab.cluster().synchronousReplication(synchronous);
        if (!synchronous) {
            gateway.evidence().allowLoss("asynchronous replication across a failover (counted as RPO)");
        }
        gateway.evidence().note("replication", synchronous ? "synchronous (synchronous_standby_names = '*')" : "asynchronous");
    }

    @When("the replication link to the standby breaks")
    public void theReplicationLinkBreaks() {
        lab.cluster().whyNoFailoverAfterReplicationBreaks().ifPresent(why -> {
            throw new TestAbortedException("not run in this deployment: " + why);
        });
        DbNode primary = lab.primary();
        long before = gateway.evidence().history().now();
        faults.breakReplication();
        // Wait until the break shows: the primary acknowledges writes the standby cannot have (asynchronous), or the
        // gateway's commits wait for the unreachable standby (synchronous).
        Wait.until("the primary goes on without its standby", gateway.bounds().detect(), gateway.bounds().poll(),
                () -> gateway.evidence().history().operations().stream()
                        .filter(o -> o.isWrite() && o.ok() && o.startMs() > before).count() >= 3
                        || lab.gatewaySessionsOn(primary).backends().stream().anyMatch(b -> "SyncRep".equals(b.waitEvent())), Boolean.TRUE::equals);
    }

    @When("the primary fails")
    public void thePrimaryFails() {
        lab.rememberPrimary(lab.primary());
        newPrimary = lab.standby();
        // A request is inside the primary when it crashes, every time: the gateway's answer to it is judged in every run.
        HeldRequest.hold(gateway, lab, faults);
        faults.stop(lab.oldPrimary(), StopMode.IMMEDIATE);
    }

    /**
     * The standby stays out of reach until a commit's wait for it has outlived the gateway's statement timeout:
     * PostgreSQL then cancels the wait and keeps the commit locally, with only a warning. Such a commit is not on the
     * standby, so a gateway that acknowledges it loses it in the failover that follows.
     */
    @When("the standby stays away longer than the gateway's statement timeout")
    public void theStandbyStaysAwayLongerThanTheStatementTimeout() {
        History h = gateway.evidence().history();
        long cut = h.first(History.DEGRADED).orElseThrow();
        Duration statementTimeoutSet = gateway.statementTimeout();
        long statementTimeout = statementTimeoutSet.toMillis();
        // A commit waiting when the link broke (or begun after) ends after the statement timeout at the earliest, and at
        // the latest when the gateway's bound for any request has passed.
        Operation ended = Wait.until("a write that ended after the cut, having waited longer than the statement timeout ("
                        + statementTimeout + " ms)", statementTimeoutSet.plus(gateway.target().requestBound()),
                gateway.bounds().poll(),
                () -> h.operations().stream().filter(o -> o.isWrite() && o.endMs() > cut && o.latencyMs() >= statementTimeout)
                        .findFirst().orElse(null), Objects::nonNull);
        gateway.evidence().event("sync wait cancelled", "a commit waited " + ended.latencyMs() + " ms for the standby; answered "
                + (ended.status() == 0 ? "nothing" : ended.status() + " " + ended.error()));
    }

    @When("replica is promoted")
    public void replicaIsPromoted() {
        gateway.evidence().healing("promoting " + newPrimary.name());
        newPrimary.promote();
        gateway.evidence().event(History.PROMOTED, newPrimary.name() + " promoted " + newPrimary.howPromoted());
        followThePrimary();
        gateway.evidence().heal("a new primary accepts writes");
    }

    /** The one address a single-host gateway knows leads to the new primary (a VIP, a pooler, a router). */
    private void followThePrimary() {
        if (gateway.target().topology() == Topology.SINGLE_HOST) {
            gateway.evidence().event("vip", lab.pointVipAt(newPrimary));
        }
    }

    // --- US-3: planned switchover ------------------------------------------------------------------------------

    @When("the primary hands over to the standby for maintenance")
    public void thePrimaryHandsOverToTheStandby() {
        lab.rememberPrimary(lab.primary());
        newPrimary = lab.standby();
        // A request is inside the old primary when it shuts down, every time: the clean shutdown ends it, and the
        // gateway's answer to it is judged in every run (without one, whether any request is cut depends on timing).
        HeldRequest.hold(gateway, lab, faults);
        gateway.evidence().fault("planned switchover from " + lab.oldPrimary().name() + " to " + newPrimary.name());
        lab.cluster().switchoverTo(newPrimary, () -> {
            gateway.evidence().event(History.PROMOTED, newPrimary.name() + " promoted " + newPrimary.howPromoted());
            followThePrimary();
            gateway.evidence().heal(newPrimary.name() + " is the primary");
        });
        gateway.evidence().event("standby", lab.oldPrimary().name() + " streams from " + newPrimary.name());
    }

    @Then("requests failed for no longer than the switchover's error window")
    public void requestsFailedForNoLongerThanTheErrorWindow() {
        gateway.letRecoveryShow();
        History h = gateway.evidence().history();
        long began = h.first(History.FAULT).orElseThrow();
        List<Operation> failed = h.operations().stream().filter(o -> o.endMs() >= began && !o.ok()).toList();
        // from the handover (a request already inside the old primary, held there, began before it) or from the first
        // failed request begun after it, to the end of the last failed request
        long window = failed.isEmpty() ? 0 : failed.stream().mapToLong(Operation::endMs).max().orElseThrow()
                - Math.max(began, failed.stream().mapToLong(Operation::startMs).min().orElseThrow());
        long limit = gateway.settings().millis("slo.switchover-window-ms").toMillis();
        gateway.evidence().note("switchover error window (the handover, or the first failed request begun after it, to the"
                + " end of the last failed request)", window + " ms (" + failed.size() + " requests failed; SLO " + limit + " ms)");
        assertThat("the switchover's error window in ms, from the handover or the first failed request to the end of the last ("
                + failed.size() + " failed: " + writesSince(h, began) + ")", window, lessThanOrEqualTo(limit));
    }

    @Then("no acknowledged write was lost")
    public void noAcknowledgedWriteWasLostInTheSwitchover() {
        Verdict v = judgeWrites(newPrimary);
        gateway.evidence().note("RPO (acknowledged writes lost)", v.lost().size() + " — a planned switchover promises 0");
        assertThat("acknowledged writes missing from the new primary", v.lost(), is(empty()));
    }

    @Then("gateway should reconnect to new primary")
    public void gatewayShouldReconnectToNewPrimary() {
        Wait.until("the gateway has sessions on the new primary " + newPrimary.name(), gateway.bounds().rto(), gateway.bounds().poll(),
                () -> {
                    gateway.client().readiness();
                    return lab.gatewaySessionsOn(newPrimary).backends().size();
                }, (greaterThanOrEqualTo(1))::matches);
        common.readinessAnswersWithin(200, "RTO");
    }

    @Then("writes should resume")
    public void writesShouldResume() {
        writesResumeOnTheNewPrimary();
    }

    /**
     * RTO counts from the moment the primary was lost (its stop returned, or it was cut off), not from the promotion,
     * to the first acknowledged write begun after it. The step writes as well, one write every poll interval with at
     * most {@code workload.threads} of its own in flight, as the "within the … deadline" steps ask: the background
     * traffic's few workers can all be caught in writes that hang at a cut (each ends only at the gateway's socket
     * timeout), and then no write would begin after the loss at all. RTO is about when the gateway takes new writes, not
     * about when the suite's workers are free again (a CI run of the faults parity saw FO-03 fail that way on Toxiproxy).
     */
    @Then("writes resume on the new primary within the RTO deadline")
    public void writesResumeOnTheNewPrimary() {
        History h = gateway.evidence().history();
        long lost = h.first(History.DOWN).or(() -> h.first(History.FAULT)).orElseThrow();
        long rto = gateway.slo().rto().toMillis();
        int maxInFlight = gateway.settings().integer("workload.threads");
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger probes = new AtomicInteger();
        Operation first = Wait.until("an acknowledged write begun after the primary was lost", Duration.ofMillis(
                        Math.max(0, lost + rto - h.now())), gateway.bounds().poll(),
                () -> {
                    if (inFlight.get() < maxInFlight) {
                        inFlight.incrementAndGet();
                        // under the traffic's prefix: the write verdict reads the new primary for that prefix
                        String key = gateway.workload().prefix() + "-rto-" + probes.incrementAndGet();
                        gateway.launch(() -> {
                            try {
                                return gateway.client().createServer(key);
                            } finally {
                                inFlight.decrementAndGet();
                            }
                        });
                    }
                    return h.operations().stream().filter(o -> o.isWrite() && o.ok() && o.startMs() >= lost)
                            .min(Comparator.comparingLong(Operation::endMs)).orElse(null);
                },
                Objects::nonNull, false);
        if (first == null || first.endMs() - lost > rto) {
            // Say what the gateway did instead: the failure is read by people comparing gateways.
            throw new AssertionError("no write was acknowledged within the RTO SLO of " + rto + " ms after the primary was lost"
                    + (first == null ? "" : " (the first came after " + (first.endMs() - lost) + " ms)")
                    + "; the writes since then: " + writesSince(h, lost));
        }
        assertThat("the acknowledged write " + first.key() + " is on the new primary " + newPrimary.name(),
                lab.gatewaySessionsOn(newPrimary).namesWithPrefix(gateway.target().profile().serversTable(), first.key()).getOrDefault(first.key(), 0), is(1));
        h.first("promoted").ifPresent(promoted ->
                gateway.evidence().note("promotion (after the primary was lost)", "+" + (promoted - lost) + " ms"));
        gateway.evidence().note("first acknowledged write after the primary was lost", "+" + (first.endMs() - lost) + " ms (RTO SLO "
                + rto + " ms)");
    }

    /** "12 ended: 4 × 503, 8 × no answer (SocketTimeoutException: Read timed out)": what the writes begun since a moment got. */
    private static String writesSince(History h, long fromMs) {
        List<Operation> writes = h.operations().stream().filter(o -> o.isWrite() && o.startMs() >= fromMs).toList();
        if (writes.isEmpty()) {
            return "none was answered (they hang)";
        }
        Map<String, Long> byAnswer = writes.stream().collect(Collectors.groupingBy(
                o -> o.status() == 0 ? "no answer (" + o.error() + ")" : Integer.toString(o.status()),
                TreeMap::new, Collectors.counting()));
        return writes.size() + " ended: " + byAnswer.entrySet().stream()
                .map(e -> e.getValue() + " × " + e.getKey()).collect(Collectors.joining(", "));
    }

    @Then("the gateway's configuration was not changed")
    public void theGatewaysConfigurationWasNotChanged() {
        // Read from the running gateway (its own report, or its process), not from what the suite meant to give it.
        Map<String, String> before = gateway.startConfiguration();
        Map<String, String> now = gateway.target().observeConfiguration();
        gateway.evidence().note("the gateway's configuration, as it reports it, before / after", before + " / " + now);
        assertThat("what the gateway reports of its process and database hosts (" + gateway.target().name() + ")", before,
                not(anEmptyMap()));
        assertThat("the gateway's own report of its process and database hosts, after the failover", now, equalTo(before));
    }

    @Then("no data corruption should occur")
    public void noDataCorruptionShouldOccur() {
        Verdict v = judgeWrites(newPrimary);
        assertThat("writes reported failed that were applied anyway (ghosts)", v.ghosts(), is(empty()));
        Map<String, Integer> before = lab.gatewaySessionsOn(newPrimary).namesWithPrefix(gateway.target().profile().serversTable(), gateway.evidenceKey("before-failover"));
        assertThat("servers written and replicated before the failover", before.keySet(), equalTo(new TreeSet<>(writtenBefore)));
        if (lab.cluster().synchronous()) {
            assertThat("acknowledged writes lost despite synchronous replication", v.lost(), is(empty()));
        }
        Map<String, String> amcheck = new LinkedHashMap<>(lab.gatewaySessionsOn(newPrimary).amcheck(gateway.target().profile().serversTable()));
        amcheck.putAll(lab.gatewaySessionsOn(newPrimary).amcheck(gateway.target().profile().toolsTable()));
        gateway.evidence().note("amcheck (bt_index_check with heapallindexed) on the new primary", amcheck.toString());
        assertThat("amcheck result of every index of servers and tools", amcheck.values(), everyItem(equalTo("ok")));
    }

    @Then("no acknowledged write was lost where {replication} replication promises it")
    public void noAcknowledgedWriteWasLost(Boolean synchronous) {
        Verdict v = judgeWrites(newPrimary);
        gateway.evidence().note("RPO (acknowledged writes lost)", v.lost().size() + (synchronous
                ? " — synchronous replication promises 0" : " — asynchronous replication promises nothing across a failover"));
        if (synchronous) {
            assertThat("acknowledged writes missing from the new primary", v.lost(), is(empty()));
        }
    }

    @Then("no write that failed was applied")
    public void noWriteThatFailedWasApplied() {
        Verdict v = gateway.evidence().verdict() != null ? gateway.evidence().verdict() : judgeWrites(newPrimary);
        assertThat("writes reported failed that were applied anyway (ghosts)", v.ghosts(), is(empty()));
    }

    /** Lets the traffic run until success has lasted the sustain span, stops it, and judges it against the node. */
    private Verdict judgeWrites(DbNode node) {
        if (gateway.workload().running()) {
            gateway.letRecoveryShow();
        }
        gateway.stopWorkload();
        String prefix = gateway.workload().prefix();
        Verdict v = Verdict.judge(gateway.evidence().history().operations(),
                lab.gatewaySessionsOn(node).namesWithPrefix(gateway.target().profile().serversTable(), prefix + "-"));
        gateway.evidence().verdict(v);
        return v;
    }

    // --- FO-02 -------------------------------------------------------------------------------------------------

    @Given("the standby falls behind")
    public void theStandbyLagsBehind() {
        faults.standbyFallsBehind(lab.standby());
    }

    @When("{int} servers are written through the gateway, each read back at once")
    public void serversAreWrittenAndReadBack(int n) {
        for (int i = 1; i <= n; i++) {
            String key = gateway.evidenceKey("lag-" + i);
            Reply w = gateway.client().createServer(key);
            assertThat("write " + key + ": " + w.summary(), w.status(), anyOf(is(200), is(201)));
            lagKeys.add(key);
            gateway.client().findServer(key);
        }
    }

    @Then("every read saw the write acknowledged before it")
    public void everyReadSawTheWrite() {
        List<String> stale = gateway.evidence().history().operations().stream()
                .filter(o -> o.kind().equals("read") && lagKeys.contains(o.key()) && !"found".equals(o.detail()))
                .map(o -> o.key() + " (" + o.status() + ", " + o.detail() + ")").toList();
        gateway.evidence().note("reads after an acknowledged write that missed it", Integer.toString(stale.size()));
        assertThat("reads that did not see the write acknowledged just before", stale, is(empty()));
    }

    @Then("the standby has not replayed those writes")
    public void theStandbyHasNotReplayedThoseWrites() {
        // Without this, a standby that kept up would make the previous check prove nothing.
        Map<String, Integer> onStandby = lab.gatewaySessionsOn(lab.standby()).namesWithPrefix(gateway.target().profile().serversTable(), gateway.evidenceKey("lag-"));
        long seen = lagKeys.stream().filter(onStandby::containsKey).count();
        assertThat("writes the paused standby shows", seen, is(0L));
    }

    @Then("the servers the gateway lists are exactly the primary's")
    public void theServersTheGatewayListsAreThePrimarys() {
        Reply r = gateway.client().listServers();
        assertThat("server list: " + r.summary(), r.status(), is(200));
        Set<String> api = new TreeSet<>(r.each("name"));
        Set<String> primary = new TreeSet<>(lab.onPrimary().allNames(gateway.target().profile().serversTable()));
        gateway.evidence().note("servers listed by the gateway / on the primary", api.size() + " / " + primary.size());
        assertThat("servers the gateway lists vs the primary's table", api, equalTo(primary));
    }

    // --- FO-03 -------------------------------------------------------------------------------------------------

    @Given("the primary is the first host the gateway knows")
    public void thePrimaryIsTheFirstHost() {
        lab.cluster().whyNoSplitBrain().ifPresent(why -> {
            throw new TestAbortedException("not run in this deployment: " + why);
        });
        DbNode first = lab.cluster().nodes().get(0);
        if (lab.primary() != first) {
            lab.cluster().switchoverTo(first);
            common.readinessAnswersWithin(200, "recover");
        }
        gateway.evidence().note("old primary (first host of the gateway's URL)", first.name());
    }

    @When("the old primary is cut off from the gateway")
    public void theOldPrimaryIsCutOff() {
        lab.rememberPrimary(lab.primary());
        newPrimary = lab.standby();
        // A read is inside the old primary at the cut, every time; its answer goes into the partition.
        Optional<OutsideSession> held = HeldRequest.hold(gateway, lab, faults);
        faults.partition(lab.oldPrimary());
        held.ifPresent(lock -> {
            lock.release();
            gateway.evidence().event("answered", "the outside session let go: the old primary answers the waiting read into the partition");
        });
    }

    @When("the standby is promoted while the old primary keeps running")
    public void theStandbyIsPromotedWhileTheOldPrimaryKeepsRunning() {
        // Everything the old primary acknowledged before the cut reaches the standby first: replication is not cut.
        lab.oldPrimary().waitForCatchup(newPrimary);
        gateway.evidence().healing("promoting " + newPrimary.name());
        newPrimary.promote();
        gateway.evidence().event(History.PROMOTED, newPrimary.name() + " promoted " + newPrimary.howPromoted() + "; "
                + lab.oldPrimary().name() + " still runs as a primary");
        followThePrimary();
        // The database is usable again through the new primary: readiness may turn 200 from here, partition or not.
        gateway.evidence().heal("a new primary accepts writes");
        writesResumeOnTheNewPrimary();
    }

    @When("the old primary still accepts writes")
    public void theOldPrimaryStillAcceptsWrites() {
        boolean tookIt = faults.writeOutsideTheGateway(lab.oldPrimary(), gateway.evidenceKey("written-directly-to-old-primary"));
        assertThat("the old primary is still writable", tookIt, is(true));
        gateway.evidence().event("split brain", "both " + lab.oldPrimary().name() + " and " + newPrimary.name() + " accept writes");
        outlastTheWritesInFlightAtTheCut();
    }

    /**
     * In a real network the heal delivers what was sent into the partition: a write in flight at the cut would reach
     * the old primary, still writable, which would commit it and answer, and the gateway would acknowledge a write that
     * only the old primary holds. No gateway can tell (only fencing the old primary itself prevents it), and it is not
     * what this case is about (the gateway's choice of primary after its restart), so the partition lasts until every
     * write begun before the cut has ended, as a proxy's blackhole, which swallows them, makes it last.
     */
    private void outlastTheWritesInFlightAtTheCut() {
        if (!lab.network().healDeliversWhatWasSentIntoIt()) {
            return;
        }
        History h = gateway.evidence().history();
        long cut = h.first(History.FAULT).orElseThrow();
        long began = h.now();
        List<History.Pending> left = Wait.until("the writes in flight at the cut have ended", gateway.target().requestBound(),
                gateway.bounds().poll(), () -> h.pending().stream().filter(p -> p.startMs() < cut).toList(), List::isEmpty, false);
        gateway.evidence().note("the partition outlasted the requests in flight at the cut", "+" + (h.now() - began) + " ms"
                + (left == null || left.isEmpty() ? "" : "; still open at the request bound: " + left.size()));
    }

    @When("the gateway restarts")
    public void theGatewayRestarts() {
        gateway.require(Capability.MANAGED_PROCESS);
        gateway.evidence().event(History.RESTART, "the gateway process is restarted (as in a rolling deploy)");
        gateway.target().restart();
        gateway.evidence().heal("the gateway answers again after its restart");
    }

    @Then("writes continue on the new primary")
    public void writesContinueOnTheNewPrimary() {
        History h = gateway.evidence().history();
        long restarted = h.last(History.HEAL).orElseThrow();
        Wait.until("10 writes acknowledged after the gateway restarted", gateway.bounds().rto(), gateway.bounds().poll(),
                () -> h.operations().stream().filter(o -> o.isWrite() && o.ok() && o.startMs() > restarted).count(), (greaterThanOrEqualTo(10L))::matches);
        judgeWrites(newPrimary);
    }

    @Then("no acknowledged write exists only on the old primary")
    public void noAcknowledgedWriteOnlyOnTheOldPrimary() {
        Set<String> onlyOld = onlyOnOldPrimary();
        Set<String> acknowledged = new TreeSet<>();
        gateway.evidence().history().operations().stream().filter(o -> o.isWrite() && o.ok()).forEach(o -> acknowledged.add(o.key()));
        onlyOld.retainAll(acknowledged);
        gateway.evidence().note("acknowledged writes only on the old primary", Integer.toString(onlyOld.size()));
        assertThat("acknowledged writes that exist only on the old primary " + lab.oldPrimary().name(), onlyOld, is(empty()));
    }

    @Then("the gateway sent no write to the old primary after the promotion")
    public void theGatewaySentNoWriteToTheOldPrimaryAfterThePromotion() {
        Set<String> onlyOld = onlyOnOldPrimary();
        // Writes in flight at the cut may still reach the old primary when the partition heals: in a real partition the
        // kernel retransmits what the gateway had sent (a proxy's blackhole swallows it). They were sent before the
        // promotion, and they must not have been acknowledged (the step above); what the gateway's fencing must prevent is
        // a write begun after the promotion landing on the old primary.
        // The gateway can only fence once it has seen the new primary: from the end of the first write it acknowledged
        // that began after the promotion (a write sent on an old connection before that is in flight, as at the cut).
        long promotedAt = gateway.evidence().history().first(History.PROMOTED).orElseThrow();
        long promoted = gateway.evidence().history().operations().stream()
                .filter(o -> o.isWrite() && o.ok() && o.startMs() >= promotedAt).mapToLong(o -> o.endMs()).min().orElse(promotedAt);
        Set<String> sentAfter = new TreeSet<>();
        Set<String> inFlight = new TreeSet<>();
        gateway.evidence().history().operations().stream().filter(o -> o.isWrite() && onlyOld.contains(o.key()))
                .forEach(o -> (o.startMs() >= promoted ? sentAfter : inFlight).add(o.key() + " (" + o.outcome() + ")"));
        gateway.evidence().note("gateway writes begun after it saw the new primary that the old primary took", Integer.toString(sentAfter.size()));
        gateway.evidence().note("writes in flight (sent before the gateway saw the new primary) that the old primary applied once the partition healed",
                inFlight.isEmpty() ? "none" : inFlight.size() + ": " + inFlight);
        assertThat("gateway writes begun after it saw the new primary that the old primary took (no fencing)", sentAfter, is(empty()));
        Verdict v = judgeWrites(newPrimary);
        assertThat("writes reported failed that were applied anyway (ghosts)", v.ghosts(), is(empty()));
    }

    // --- FO-03 under an HA manager: the isolated primary is fenced by the HA manager itself --------------------------

    @Given("an HA manager keeps the cluster")
    public void anHaManagerKeepsTheCluster() {
        String manager = lab.cluster().haManager().orElseThrow(() -> new TestAbortedException("not run in this deployment: "
                + "no HA manager keeps this lab's cluster (-Dtopology=patroni has Patroni); \"FO-03 Split brain\" is this "
                + "deployment's case"));
        lab.network().whyNoIsolation().ifPresent(why -> {
            throw new TestAbortedException("not run with this fault engine: " + why);
        });
        gateway.evidence().note("HA manager", manager);
    }

    @When("the primary is cut off from the rest of the cluster")
    public void thePrimaryIsCutOffFromTheRestOfTheCluster() {
        gateway.holdToIsolatedRto();
        lab.rememberPrimary(lab.primary());
        newPrimary = lab.standby();
        faults.isolate(lab.oldPrimary());
    }

    /**
     * Polls both nodes through the suite's own path (the cut leaves it open) until the standby takes writes. The isolated
     * old primary may take seconds to answer (or not answer at all), so it is asked on a thread of its own and the
     * standby is asked every poll: the moment of the promotion is known within one poll. The old primary must have
     * stopped taking writes before the new one started: an answer "writable" from the old primary to a question asked
     * after the new one answered "writable" is a split brain (a promoted node stays writable).
     */
    @Then("the old primary stops taking writes before the standby takes over")
    public void theOldPrimaryStopsTakingWritesBeforeTheStandbyTakesOver() {
        History h = gateway.evidence().history();
        long cut = h.first(History.FAULT).orElseThrow();
        DbNode old = lab.oldPrimary();
        Duration within = gateway.settings().millis("deadline.lab-ms");
        Duration poll = gateway.bounds().poll();
        // [asked at, answered at] of each "writable" answer of the old primary
        List<long[]> oldWritable = java.util.Collections.synchronizedList(new ArrayList<>());
        long[] standbyLastSeen = {-1};
        long[] newWritableAt = {-1};
        Boolean tookOver;
        java.util.concurrent.atomic.AtomicBoolean asking = new java.util.concurrent.atomic.AtomicBoolean(true);
        try (RoleProbe fresh = new RoleProbe(newPrimary); RoleProbe stale = new RoleProbe(old)) {
            Thread oldProbe = new Thread(() -> {
                while (asking.get()) {
                    long asked = h.now();
                    if (stale.writable()) {
                        oldWritable.add(new long[] {asked, h.now()});
                    }
                    try {
                        Thread.sleep(poll.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "old-primary-probe");
            oldProbe.setDaemon(true);
            oldProbe.start();
            try {
                tookOver = Wait.until(newPrimary.name() + " takes writes", within, poll, () -> {
                    long asked = h.now();
                    Boolean role = fresh.role();
                    if (Boolean.FALSE.equals(role)) {
                        standbyLastSeen[0] = asked;
                    }
                    return Boolean.TRUE.equals(role);
                }, Boolean.TRUE::equals, false);
                if (Boolean.TRUE.equals(tookOver)) {
                    newWritableAt[0] = h.now();
                }
            } finally {
                asking.set(false);
                try {
                    oldProbe.join(within.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (Boolean.TRUE.equals(tookOver)) {
                long tookAt = newWritableAt[0];
                if (standbyLastSeen[0] >= 0) {
                    gateway.evidence().healingSince(standbyLastSeen[0], newPrimary.name() + " is promoted (last seen a standby "
                            + "then: the database may be usable from here)");
                }
                gateway.evidence().event(History.PROMOTED, newPrimary.name() + " takes writes, +" + (tookAt - cut) + " ms after the cut");
                gateway.evidence().heal("a new primary accepts writes");
                // one more question to the old primary, asked now that the new one takes writes (its thread has ended)
                long asked = h.now();
                if (!oldProbe.isAlive() && stale.writable()) {
                    oldWritable.add(new long[] {asked, h.now()});
                }
            }
        }
        long oldLast = oldWritable.stream().mapToLong(a -> a[1]).max().orElse(-1);
        long bothAt = newWritableAt[0] < 0 ? -1
                : oldWritable.stream().filter(a -> a[0] >= newWritableAt[0]).mapToLong(a -> a[1]).min().orElse(-1);
        String oldSays = lab.logSinceScenarioStart(old).lines().filter(l -> l.contains("demot")).findFirst().map(String::strip)
                .orElse("no demotion in its log");
        gateway.evidence().note("the old primary " + old.name() + " last took writes", oldLast < 0
                ? "never after the cut" : "+" + (oldLast - cut) + " ms after the cut (" + oldSays + ")");
        if (!Boolean.TRUE.equals(tookOver)) {
            throw new AssertionError("the HA manager did not make " + newPrimary.name() + " take writes within " + within.toMillis()
                    + " ms of the cut; the old primary " + old.name() + (writable(old) ? " still takes writes" : " takes none"));
        }
        gateway.evidence().note("how " + newPrimary.name() + " was promoted", newPrimary.howPromoted());
        followThePrimary();
        assertThat("moments after the cut (ms) when both " + old.name() + " and " + newPrimary.name() + " took writes (split brain: "
                + "the isolated primary was not fenced; " + oldSays + ")", bothAt < 0 ? "none" : "+" + (bothAt - cut), is("none"));
    }

    /** Whether the node takes writes now (a server that does not answer takes none). */
    private static boolean writable(DbNode node) {
        try {
            return !node.isInRecovery();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Asks one node, over one connection kept open between polls (a promotion flips the answer on the same connection
     * at once), whether it takes writes; a node that does not answer within 2 s takes none, and is asked anew next time.
     */
    private static final class RoleProbe implements AutoCloseable {
        private final DbNode node;
        private java.sql.Connection connection;

        RoleProbe(DbNode node) {
            this.node = node;
        }

        boolean writable() {
            return Boolean.TRUE.equals(role());
        }

        /** True: it takes writes; false: it is a standby; null: no answer. */
        Boolean role() {
            try {
                if (connection == null) {
                    connection = node.connect("postgres");
                }
                try (java.sql.Statement s = connection.createStatement()) {
                    s.setQueryTimeout(2);
                    try (java.sql.ResultSet r = s.executeQuery("SELECT pg_is_in_recovery()")) {
                        return r.next() ? !r.getBoolean(1) : null;
                    }
                }
            } catch (java.sql.SQLException | RuntimeException e) {
                close();
                return null;
            }
        }

        @Override
        public void close() {
            if (connection != null) {
                try {
                    connection.close();
                } catch (java.sql.SQLException ignored) {
                    // the node went away; nothing to close
                }
                connection = null;
            }
        }
    }

    private Set<String> onlyOnOldPrimary() {
        String prefix = gateway.workload().prefix() + "-";
        Set<String> old = new TreeSet<>(lab.gatewaySessionsOn(lab.oldPrimary()).namesWithPrefix(gateway.target().profile().serversTable(), prefix).keySet());
        old.removeAll(lab.gatewaySessionsOn(newPrimary).namesWithPrefix(gateway.target().profile().serversTable(), prefix).keySet());
        return old;
    }
}
