package io.pgresilience.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The judge is a pure function: each rule is shown to hold on a good history and to break on a bad one. */
class JudgeTest {

    private static final Judge.Terms TERMS = new Judge.Terms(10_000, 2_000, 2_000, 5_000, 1_500, true, Set.of(), null);

    private final List<Operation> ops = new ArrayList<>();
    private final List<History.Event> events = new ArrayList<>(List.of(
            new History.Event(History.FAULT, "stop", 1_000), new History.Event(History.HEAL, "start", 5_000)));
    private long index;

    private void op(String kind, String key, long start, long end, int status, String error, String message, boolean retryAfter) {
        ops.add(new Operation(++index, kind, key, start, end, status, Outcome.of(status, error), error, message, retryAfter, null));
    }

    /** A good outage: success before, database 503s during (readiness 503 throughout), success after. */
    private void goodOutage() {
        for (long t = 0; t < 10_000; t += 250) {
            boolean down = t >= 1_100 && t < 5_000;
            op("readiness", null, t, t + 5, down ? 503 : 200, down ? "database_unavailable" : null, down ? "the database is down" : null, down);
            op("read", null, t, t + 5, down ? 503 : 200, down ? "database_unavailable" : null, down ? "no connection" : null, down);
        }
    }

    private Judge.Judgement judge(Judge.Terms terms, List<History.Pending> pending, Verdict verdict, Judge.Leaks leaks) {
        return Judge.judge(ops, pending, events, 12_000, terms, verdict, leaks);
    }

    private static List<String> broken(Judge.Judgement j) {
        return j.broken().stream().map(Judge.Rule::name).toList();
    }

    @Test
    void aGoodOutageHoldsEveryRule() {
        goodOutage();
        Judge.Judgement j = judge(TERMS, List.of(), null, new Judge.Leaks(0, List.of()));
        assertThat(j.broken()).isEmpty();
        assertThat(j.rules()).extracting(Judge.Rule::name).anyMatch(n -> n.startsWith("time to detect"))
                .anyMatch(n -> n.startsWith("time to recover")).anyMatch(n -> n.startsWith("readiness stayed 503"));
    }

    @Test
    void aRequestStillHangingPastTheBoundBreaksTheBound() {
        goodOutage();
        Judge.Judgement j = judge(TERMS, List.of(new History.Pending(999, "read", null, 1_500)), null, null);
        assertThat(broken(j)).singleElement().asString().startsWith("every request ended within");
    }

    @Test
    void a500AnywhereIsBroken() {
        goodOutage();
        op("write", "k", 2_000, 2_010, 500, "internal_error", "Internal Server Error", false);
        assertThat(broken(judge(TERMS, List.of(), null, null))).anyMatch(n -> n.startsWith("no answer was a server error"))
                .anyMatch(n -> n.startsWith("during the fault"));
    }

    @Test
    void answersInTheFaultWindowMustNameTheDatabaseAndSayWhenToRetry() {
        goodOutage();
        op("read", null, 2_000, 2_010, 503, "unavailable", "try later", true);
        op("read", null, 2_100, 2_110, 503, "database_unavailable", "down", false);
        op("read", null, 2_200, 2_210, 401, "Token validation failed", null, false);
        Judge.Rule rule = judge(TERMS, List.of(), null, null).broken().get(0);
        assertThat(rule.name()).startsWith("during the fault");
        assertThat(rule.detail()).startsWith("3:").contains("does not name the database").contains("without Retry-After")
                .contains("answered 401");
    }

    @Test
    void flappingReadinessIsBroken() {
        goodOutage();
        op("readiness", null, 3_000, 3_005, 200, null, null, false);
        assertThat(broken(judge(TERMS, List.of(), null, null))).singleElement().asString().startsWith("readiness stayed 503");
    }

    @Test
    void readinessBackOnceTheHealHasBegunIsNoFlap() {
        goodOutage();
        // A promotion begins at 4 500 ms and is seen finished at 5 000 ms: the gateway may be ready in between.
        events.add(1, new History.Event(History.HEALING, "promoting", 4_500));
        op("readiness", null, 4_600, 4_605, 200, null, null, false);
        assertThat(broken(judge(TERMS, List.of(), null, null))).isEmpty();
        op("readiness", null, 4_400, 4_405, 200, null, null, false);
        assertThat(broken(judge(TERMS, List.of(), null, null))).singleElement().asString().startsWith("readiness stayed 503");
    }

    @Test
    void readinessWithNoSampleBetweenItsFirst503AndTheHealJudgesNothing() {
        ops.clear();
        op("readiness", null, 500, 505, 200, null, null, false);
        op("readiness", null, 4_800, 4_805, 503, "database_unavailable", "down", true);
        op("readiness", null, 5_100, 5_105, 200, null, null, false);
        Judge.Rule rule = judge(TERMS, List.of(), null, null).rules().stream()
                .filter(r -> r.name().startsWith("readiness stayed 503")).findFirst().orElseThrow();
        assertThat(rule.status()).isEqualTo(Judge.Status.NOT_APPLICABLE);
        assertThat(rule.detail()).contains("no readiness sample between its first 503 and the heal (at 5000 ms)");
    }

    @Test
    void aLateDetectionBreaksItsSlo() {
        ops.clear();
        op("readiness", null, 500, 505, 200, null, null, false);
        op("readiness", null, 1_100, 4_100, 503, "database_unavailable", "down", true);
        op("read", null, 5_100, 5_105, 200, null, null, false);
        op("read", null, 6_700, 6_705, 200, null, null, false);
        assertThat(broken(judge(TERMS, List.of(), null, null))).anyMatch(n -> n.startsWith("time to detect"));
    }

    @Test
    void failuresOnceRecoveredAndALateRecoveryAreBroken() {
        goodOutage();
        op("read", null, 7_500, 7_505, 503, "database_unavailable", "down", true);
        assertThat(broken(judge(TERMS, List.of(), null, null))).anyMatch(n -> n.startsWith("once recovered"))
                .anyMatch(n -> n.startsWith("time to recover"));
    }

    @Test
    void trafficThatEndsBeforeTheGatewayCanBeJudgedRecoveredIsBroken() {
        goodOutage();
        ops.removeIf(o -> o.startMs() >= 7_000); // heal at 5 000 ms + recover SLO 2 000 ms: nothing left to judge
        Judge.Rule rule = judge(TERMS, List.of(), null, null).broken().get(0);
        assertThat(rule.name()).startsWith("once recovered");
        assertThat(rule.detail()).contains("no request began at or after 7000 ms");
    }

    @Test
    void lostAndGhostWritesAreBrokenUnlessLossIsAllowed() {
        goodOutage();
        op("write", "a", 500, 510, 201, null, null, false);
        op("write", "b", 2_000, 2_010, 503, "database_unavailable", "down", true);
        Verdict v = Verdict.judge(ops, Map.of("b", 1));
        assertThat(broken(judge(TERMS, List.of(), v, null))).contains("no acknowledged write was lost",
                "no write reported as failed was applied (ghost)");
        Judge.Terms async = new Judge.Terms(10_000, 2_000, 2_000, 5_000, 1_500, true, Set.of(), "asynchronous replication");
        assertThat(broken(judge(async, List.of(), v, null))).containsExactly("no write reported as failed was applied (ghost)");
    }

    @Test
    void aLeakedConnectionIsBroken() {
        goodOutage();
        assertThat(broken(judge(TERMS, List.of(), null, new Judge.Leaks(1, List.of())))).singleElement().asString()
                .startsWith("no connection was left busy");
        assertThat(broken(judge(TERMS, List.of(), null, new Judge.Leaks(null, List.of("session 42 idle in transaction")))))
                .singleElement().asString().startsWith("no connection was left busy");
    }

    @Test
    void anExpectedConflictIsAllowedOnlyWhereTheScenarioSaysSo() {
        goodOutage();
        op("update", "a,b", 2_000, 2_010, 409, "deadlock_detected", "deadlock", false);
        assertThat(broken(judge(TERMS, List.of(), null, null))).anyMatch(n -> n.startsWith("during the fault"));
        Judge.Terms deadlock = new Judge.Terms(10_000, 2_000, 2_000, 5_000, 1_500, true, Set.of("409 deadlock_detected"), null);
        assertThat(judge(deadlock, List.of(), null, null).broken()).isEmpty();
    }

    @Test
    void detectionCountsRequestsBegunDuringTheFaultAndNotARestartsRefusals() {
        // in flight at the fault (begun at 900), held to the gateway's timeout: not the gateway noticing the database
        op("write", "w1", 900, 7_000, 504, "database_timeout", "statement timed out", false);
        // a deliberate restart of the gateway at 6 000 ms: its refusals are not detection either
        op("read", null, 6_100, 6_101, 0, "connection refused", null, false);
        events.add(1, new History.Event(History.RESTART, "the gateway restarts", 6_000));
        Metrics m = Metrics.of(History.of(ops, events), java.time.Duration.ofMillis(1_500));
        assertThat(m.detectMs()).isNull();
        op("read", null, 1_200, 2_400, 503, "database_unavailable", "no connection", true);
        m = Metrics.of(History.of(ops, events), java.time.Duration.ofMillis(1_500));
        assertThat(m.detectMs()).isEqualTo(1_400);
        assertThat(m.detectStatus()).isEqualTo(503);
    }

    @Test
    void anEventKnownLateTakesItsPlaceInTime() {
        History h = History.of(List.of(), List.of(new History.Event(History.FAULT, "cut", 1_000),
                new History.Event(History.HEAL, "promoted", 3_000)));
        h.markAt(History.HEALING, "promoted since", 2_500);
        assertThat(h.events()).extracting(History.Event::atMs).containsExactly(1_000L, 2_500L, 3_000L);
    }
}
