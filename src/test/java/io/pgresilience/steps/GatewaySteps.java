package io.pgresilience.steps;

import java.util.Comparator;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.CompletableFuture;
import java.util.Locale;
import java.time.Duration;
import java.util.Optional;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import io.cucumber.java.en.And;
import io.cucumber.java.en.Given;
import io.cucumber.java.en.Then;
import io.pgresilience.evidence.History;
import io.pgresilience.evidence.Judge;
import io.pgresilience.evidence.Operation;
import io.pgresilience.support.Wait;
import io.pgresilience.world.GatewayWorld;
import io.pgresilience.targets.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Steps about the gateway as a whole: it runs, it answers, it recovers. Shared by every feature. */
public class GatewaySteps {

    private final GatewayWorld gateway;

    public GatewaySteps(GatewayWorld gateway) {
        this.gateway = gateway;
    }

    @Given("the gateway is running with PostgreSQL")
    public void theGatewayIsRunningWithPostgreSQL() {
        // The Before hook has prepared lab and gateway; this proves they work end to end, database included.
        Reply ready = gateway.client().readiness();
        assertThat("readiness: " + ready.summary(), ready.status(), is(200));
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
        Wait.until("the background traffic's first acknowledged write", gateway.bounds().detect(), gateway.bounds().poll(),
                () -> gateway.evidence().history().operations().stream().anyMatch(o -> o.isWrite() && o.ok()), ok -> ok);
    }

    /**
     * Readiness answers the status within the SLO. A 503 must then hold while the fault lasts: readiness is asked every
     * poll interval for the sustain span, and any other answer in that span (the sampler's too) fails the step, so a
     * gateway whose readiness flaps between 503 and 200 is caught even when the fault is short.
     */
    @Then("readiness answers {int} within the {word} deadline")
    public void readinessAnswersWithin(int status, String slo) {
        Operation first = answerWithin("readiness answers " + status, slo, () -> gateway.client().readiness(),
                o -> o.kind().equals("readiness") && o.status() == status);
        if (status != 503) {
            return;
        }
        History h = gateway.evidence().history();
        long until = first.endMs() + gateway.bounds().sustain().toMillis();
        Wait.until("readiness keeps answering 503 for " + gateway.bounds().sustain().toMillis() + " ms",
                gateway.bounds().sustain().plus(gateway.target().requestBound()), gateway.bounds().poll(), () -> {
                    List<Operation> other = h.operations().stream().filter(o -> o.kind().equals("readiness")
                            && o.startMs() > first.endMs() && o.status() != 503).toList();
                    if (!other.isEmpty()) {
                        throw new Wait.GiveUp(new IllegalStateException("readiness answered 503 at " + first.endMs()
                                + " ms, then " + Judge.describe(other.get(0)) + " while the fault lasts"));
                    }
                    if (h.now() < until) {
                        gateway.client().readiness();
                    }
                    return h.now() >= until;
                }, done -> done);
    }

    @Then("API requests fail with 503 and a database error within the detect deadline")
    public void apiRequestsFailWith503AndADatabaseError() {
        Operation o = answerWithin("an API request answers 503", "detect", () -> gateway.client().listServers(),
                op -> op.isApi() && op.status() == 503);
        assertNamesTheDatabase(o);
        assertThat("a 503 must say when to retry: " + Judge.describe(o), o.retryAfter(), is(true));
    }

    @Then("API requests fail with 503 or 504 and a timeout error within the detect deadline")
    public void apiRequestsFailWithATimeoutError() {
        Operation o = answerWithin("an API request ends with 503 or 504", "detect", () -> gateway.client().listServers(),
                op -> op.isApi() && (op.status() == 503 || op.status() == 504));
        assertNamesTheDatabase(o);
        assertThat("the error must say that a time limit ran out: " + Judge.describe(o) + " " + o.message(),
                Judge.NAMES_A_TIMEOUT.matcher(said(o)).find(), is(true));
        // Nothing in a blackhole fails sooner than the gateway's shortest time limit: a faster "timeout" is not one.
        long shortest = gateway.target().poolTimeout().toMillis();
        assertThat("a timeout error that came sooner than the gateway's shortest time limit (" + shortest + " ms): "
                + Judge.describe(o) + " after " + o.latencyMs() + " ms", o.latencyMs() >= Judge.timeoutFloorMs(shortest), is(true));
    }

    @Then("API requests succeed again within the recover deadline")
    public void apiRequestsSucceedAgain() {
        answerWithin("API requests answer 200 again", "recover", () -> gateway.client().listServers(),
                o -> o.isApi() && o.status() == 200 && o.startMs() >= gateway.evidence().history().last(History.HEAL).orElse(0L));
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

    /**
     * Ended requests, and the ones open now: the fault stays on until each of those has ended or outlived the bound, so
     * that a request the fault left without an answer shows as one (a heal may close its connection and end it
     * early: Toxiproxy's timeout toxic does). The judge asks again when the scenario ends.
     */
    @Then("no request took longer than the gateway's timeouts allow")
    public void noRequestTookLongerThanAllowed() {
        long bound = gateway.target().requestBound().toMillis();
        History h = gateway.evidence().history();
        List<History.Pending> open = h.pending();
        if (!open.isEmpty()) {
            long lastDue = open.stream().mapToLong(History.Pending::startMs).max().orElseThrow() + bound + 1;
            java.util.Set<Long> ids = open.stream().map(History.Pending::index).collect(java.util.stream.Collectors.toSet());
            Wait.until("the " + open.size() + " request(s) open now end, or outlive the bound of " + bound + " ms",
                    Duration.ofMillis(Math.max(0, lastDue - h.now())), gateway.bounds().poll(),
                    () -> h.pending().stream().filter(p -> ids.contains(p.index()) && h.now() - p.startMs() <= bound).count(),
                    stillYoung -> stillYoung == 0, false);
        }
        long now = h.now();
        List<String> slow = new ArrayList<>();
        h.operations().stream().filter(o -> o.latencyMs() > bound)
                .forEach(o -> slow.add(o.kind() + " " + o.status() + " after " + o.latencyMs() + " ms"));
        h.pending().stream().filter(p -> now - p.startMs() > bound)
                .forEach(p -> slow.add(p.kind() + " still without an answer after " + (now - p.startMs()) + " ms"));
        assertThat("requests slower than " + bound + " ms", slow, is(empty()));
    }

    /**
     * Waits until an answer of the kind wanted came within the SLO, counted from the moment it is about: the fault for
     * "detect", the heal for "recover", the lost primary for "RTO" (from now when the scenario has no such moment).
     * Every answer counts, the readiness probes' and the background traffic's too (they are in the history): detection
     * is the gateway's first such answer, not the first this step happened to ask for. The step asks as well, every
     * poll interval. The failure says what the gateway last answered, or that no request was answered (they hang).
     */
    Operation answerWithin(String what, String slo, Supplier<Reply> probe, Predicate<Operation> wanted) {
        History h = gateway.evidence().history();
        long limit = gateway.slo().named(slo).toMillis();
        String key = slo.toLowerCase(Locale.ROOT);
        Optional<Long> at = switch (key) {
            case "detect" -> h.first(History.FAULT);
            case "recover" -> h.last(History.HEAL);
            default -> h.first(History.DOWN).or(() -> h.first(History.FAULT));
        };
        long anchor = at.orElse(h.now());
        String from = at.isEmpty() ? "this step" : key.equals("detect") ? "the fault" : key.equals("recover") ? "the heal"
                : "the primary was lost";
        long deadline = anchor + limit;
        Reply last = null;
        CompletableFuture<Reply> asked = null;
        long askedAt = 0;
        while (true) {
            Optional<Operation> first = h.operations().stream().filter(o -> o.endMs() >= anchor && wanted.test(o))
                    .min(Comparator.comparingLong(Operation::endMs));
            if (first.isPresent()) {
                Operation o = first.get();
                if (o.endMs() <= deadline) {
                    return o;
                }
                throw new AssertionError(what + ": only " + (o.endMs() - anchor) + " ms after " + from + " (SLO " + limit
                        + " ms): " + o.kind() + " " + o.status() + " " + o.error() + " after " + o.latencyMs() + " ms");
            }
            if (h.now() >= deadline) {
                throw new AssertionError(what + ": not within " + limit + " ms of " + from + " (SLO); last answer: "
                        + (last == null ? "none" : last.summary()));
            }
            // The step's own request goes in the background: one stuck until the gateway's socket timeout must not keep
            // the step from seeing a faster answer to a later one (e.g. a pooled connection handed out unvalidated).
            long poll = gateway.bounds().poll().toMillis();
            if (asked != null && asked.isDone()) {
                last = asked.join();
            }
            if (asked == null || h.now() - askedAt >= poll) {
                asked = gateway.launch(probe);
                askedAt = h.now();
            }
            long rest = Math.min(askedAt + poll - h.now(), deadline - h.now());
            if (rest > 0) {
                try {
                    if (asked.isDone()) {
                        Thread.sleep(rest); // the poll interval between the step's own requests
                    } else {
                        asked.get(rest, TimeUnit.MILLISECONDS);
                    }
                } catch (TimeoutException | ExecutionException stillWaiting) {
                    // the next round looks at the history again
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(what + ": interrupted");
                }
            }
        }
    }

    /** The failure's own error code and message must name the database (not any substring of the body). */
    static void assertNamesTheDatabase(Reply r) {
        assertThat("the error must name the database: " + r.summary(), Judge.NAMES_THE_DATABASE.matcher(said(r.operation())).find(),
                is(true));
    }

    static void assertNamesTheDatabase(Operation o) {
        assertThat("the error must name the database: " + Judge.describe(o) + " " + o.message(),
                Judge.NAMES_THE_DATABASE.matcher(said(o)).find(), is(true));
    }

    static String said(Reply r) {
        return said(r.operation());
    }

    static String said(Operation o) {
        return (o.error() == null ? "" : o.error()) + " " + (o.message() == null ? "" : o.message());
    }
}
