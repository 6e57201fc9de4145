package io.pgresilience.evidence;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The one judge of every fault scenario, a pure function of what happened: the history (every request, ended or
 * still hanging, and the suite's actions), the writes found in the database and the gateway's connections after the
 * load. The history is split into phases — before the fault, the fault window (from the fault, or from an earlier
 * degradation such as a cut replication link, to the heal), recovering (the recover SLO after the heal) and
 * recovered — and each rule names the requests that broke it.
 */
public final class Judge {

    /** An error that names the database (its code or message): the client must learn what failed. */
    public static final Pattern NAMES_THE_DATABASE = Pattern.compile("(?i)(^|[^a-z])(database|postgres|sql|statement.?timeout)");
    /** An error that says a time limit ran out. */
    public static final Pattern NAMES_A_TIMEOUT = Pattern.compile("(?i)(time.?out|timed out)");
    /** An error that says the statement timeout cancelled the query (TX-02, and the contract check). */
    public static final Pattern NAMES_A_STATEMENT_TIMEOUT = Pattern.compile("(?is)statement.?timeout");
    /** An error that says the transaction was a deadlock's victim (TX-01). */
    public static final Pattern NAMES_A_DEADLOCK = Pattern.compile("(?i)deadlock");
    /** The time spent in the database, read from a Server-Timing header (with SERVER_TIMING). */
    public static final Pattern SERVER_TIMING_DURATION = Pattern.compile("dur=([0-9.]+)");
    /** A timeout error may not come sooner than this share of the time limit it names (in percent). */
    public static final int TIMEOUT_FLOOR_PERCENT = 90;

    /** The earliest a timeout error of a limit may come: {@link #TIMEOUT_FLOOR_PERCENT} of it. */
    public static long timeoutFloorMs(long limitMs) {
        return limitMs * TIMEOUT_FLOOR_PERCENT / 100;
    }

    private Judge() {
    }

    public enum Status { HELD, BROKEN, NOT_APPLICABLE }

    /** One rule, how it held, and the figure it was judged on beside its limit. */
    public record Rule(String name, Status status, String detail) {
        static Rule of(String name, List<String> offenders, String heldDetail) {
            return offenders.isEmpty() ? new Rule(name, Status.HELD, heldDetail)
                    : new Rule(name, Status.BROKEN, offenders.size() + ": " + first(offenders, 5));
        }
    }

    /** The judge's answer: every rule with its status. */
    public record Judgement(List<Rule> rules) {
        public List<Rule> broken() {
            return rules.stream().filter(r -> r.status() == Status.BROKEN).toList();
        }

        public boolean held() {
            return broken().isEmpty();
        }

        /** The failure message: each broken rule with the requests that broke it. */
        public String failure() {
            return "the judge: " + broken().stream().map(r -> r.name() + " — " + r.detail()).collect(Collectors.joining(" | "))
                    + "\n" + broken().size() + " of " + rules.size() + " rules broken; the evidence lists them all";
        }
    }

    /**
     * What the judge is told besides the history.
     *
     * @param requestBoundMs   the longest any request may take: the gateway's own timeouts plus slack
     * @param detectSloMs      fault → first failed answer to a request begun after it, when the fault makes the database unusable
     * @param recoverSloMs     heal → success that lasts
     * @param rtoSloMs         primary lost → first acknowledged write on the new primary
     * @param sustainMs        how long success must last to count as recovered
     * @param outage           the fault makes the database unusable until the heal (stop, partition, latency past the
     *                         timeouts, primary lost): detection is held to its SLO and readiness must stay 503
     * @param allowedInFault   further answers the scenario expects in the fault window, as "409 deadlock_detected"
     * @param lossAllowed      why acknowledged writes may be lost (asynchronous replication across a failover); null: none may
     */
    public record Terms(long requestBoundMs, long detectSloMs, long recoverSloMs, long rtoSloMs, long sustainMs,
                        boolean outage, Set<String> allowedInFault, String lossAllowed) {
    }

    /** The gateway's connections after the load ended: borrowed from its pool (null: not reported), busy in the database. */
    public record Leaks(Integer borrowedFromPool, List<String> busySessions) {
    }

    public static Judgement judge(List<Operation> ops, List<History.Pending> pending, List<History.Event> events,
                                  long judgedAtMs, Terms t, Verdict verdict, Leaks leaks) {
        List<Rule> rules = new ArrayList<>();
        Long fault = firstOf(events, History.FAULT);
        Long degraded = firstOf(events, History.DEGRADED);
        long windowStart = fault == null ? Long.MAX_VALUE : degraded != null ? Math.min(degraded, fault) : fault;
        Long heal = lastOf(events, History.HEAL);
        long windowEnd = heal != null && heal >= windowStart ? heal : Long.MAX_VALUE;
        long recovered = windowEnd == Long.MAX_VALUE ? Long.MAX_VALUE : windowEnd + t.recoverSloMs();
        Long restart = firstOf(events, History.RESTART);

        // 1. Every request ends within the gateway's bound; one still hanging counts once it is older than the bound.
        List<String> slow = new ArrayList<>();
        ops.stream().filter(o -> o.latencyMs() > t.requestBoundMs())
                .forEach(o -> slow.add(describe(o) + " took " + o.latencyMs() + " ms"));
        pending.stream().filter(p -> judgedAtMs - p.startMs() > t.requestBoundMs())
                .forEach(p -> slow.add(p.kind() + (p.key() == null ? "" : " " + p.key()) + " begun at " + p.startMs()
                        + " ms still had no answer after " + (judgedAtMs - p.startMs()) + " ms"));
        rules.add(Rule.of("every request ended within the gateway's bound (" + t.requestBoundMs() + " ms)", slow,
                ops.size() + " requests ended, " + pending.size() + " still open (none older than the bound); longest "
                        + ops.stream().mapToLong(Operation::latencyMs).max().orElse(0) + " ms"));

        // 2. Never a 500: a database fault is the client's 503 (or 504), never an unexplained server error.
        rules.add(Rule.of("no answer was a server error other than 503/504", ops.stream()
                .filter(o -> o.status() >= 500 && o.status() != 503 && o.status() != 504)
                .map(o -> describe(o) + " at " + o.startMs() + " ms").toList(), "none"));

        // 3. Before the fault: all answers succeed.
        rules.add(Rule.of("before the fault every request succeeded", ops.stream()
                .filter(o -> (o.isApi() || o.kind().equals("readiness")) && o.endMs() < windowStart && !o.ok())
                .map(o -> describe(o) + " at " + o.startMs() + " ms").toList(), count(ops, o -> o.endMs() < windowStart)));

        if (fault == null) {
            return new Judgement(rules);
        }
        // 4. In the fault window (and while recovering): success, or 503/504 naming the database (503 with Retry-After).
        List<String> wrong = new ArrayList<>();
        for (Operation o : ops) {
            if (!o.isApi() || o.endMs() < windowStart || o.startMs() >= recovered) {
                continue;
            }
            String why = unexpectedAnswer(o, t, restart, windowEnd);
            if (why != null) {
                wrong.add(describe(o) + " at " + o.startMs() + " ms: " + why);
            }
        }
        rules.add(Rule.of("during the fault every answer was a success or a 503/504 naming the database"
                + (t.allowedInFault().isEmpty() ? "" : " (or " + String.join(", ", t.allowedInFault()) + ")"), wrong,
                statusCounts(ops, o -> o.isApi() && o.endMs() >= windowStart && o.startMs() < recovered)));

        // 5. After recovery: only success; and there must be requests to judge (traffic that stopped early proves nothing).
        if (windowEnd != Long.MAX_VALUE) {
            Predicate<Operation> judgedHere = o -> (o.isApi() || o.kind().equals("readiness")) && o.startMs() >= recovered;
            List<String> failedAfter = new ArrayList<>(ops.stream().filter(o -> judgedHere.test(o) && !o.ok())
                    .map(o -> describe(o) + " at " + o.startMs() + " ms").toList());
            if (ops.stream().noneMatch(judgedHere)) {
                failedAfter.add("no request began at or after " + recovered + " ms: the traffic ended before the gateway could be judged recovered");
            }
            rules.add(Rule.of("once recovered (" + t.recoverSloMs() + " ms after the heal) every request succeeded", failedAfter,
                    count(ops, judgedHere)));
        }

        // 6. Readiness: 503 from its first 503 to the heal when the database is unusable; 200 once recovered.
        List<Operation> ready = ops.stream().filter(o -> o.kind().equals("readiness"))
                .sorted(Comparator.comparingLong(Operation::startMs)).toList();
        if (t.outage()) {
            // The outage ends when the first heal begins (e.g. a promotion: the database is usable again, partition or
            // not, possibly a moment before the promotion is seen to have finished).
            long outageEnd = events.stream().filter(e -> (e.name().equals(History.HEAL) || e.name().equals(History.HEALING))
                            && e.atMs() >= windowStart)
                    .map(History.Event::atMs).findFirst().orElse(Long.MAX_VALUE);
            Optional<Operation> first503 = ready.stream().filter(o -> o.startMs() >= windowStart && o.status() == 503).findFirst();
            // The samples after the first 503 and before the heal: with none there, the rule judged nothing and says so
            // (n/a) rather than "held".
            List<Operation> judged = first503.map(f -> ready.stream()
                    .filter(o -> o.startMs() > f.endMs() && o.endMs() <= outageEnd).toList()).orElse(List.of());
            List<String> flaps = judged.stream().filter(o -> o.status() != 503)
                    .map(o -> "readiness at " + o.startMs() + " ms answered " + answer(o)).toList();
            int samples = judged.size();
            rules.add(first503.isEmpty()
                    ? new Rule("readiness stayed 503 from its first 503 to the heal", Status.NOT_APPLICABLE,
                            "readiness never answered 503 in the fault window (" + statusCounts(ready,
                                    o -> o.startMs() >= windowStart && o.endMs() <= outageEnd) + ")")
                    : samples == 0
                    ? new Rule("readiness stayed 503 from its first 503 (at " + first503.get().endMs() + " ms) to the heal",
                            Status.NOT_APPLICABLE, "no readiness sample between its first 503 and the heal"
                                    + (outageEnd == Long.MAX_VALUE ? "" : " (at " + outageEnd + " ms)") + ": nothing to judge")
                    : Rule.of("readiness stayed 503 from its first 503 (at " + first503.get().endMs() + " ms) to the heal",
                            flaps, samples + " samples"));
        }

        // 7. The SLOs: detect, recover, RTO.
        Metrics m = Metrics.of(History.of(ops, events), Duration.ofMillis(t.sustainMs()));
        if (t.outage()) {
            rules.add(m.detectMs() == null
                    ? new Rule(slo("time to detect", t.detectSloMs()), Status.NOT_APPLICABLE, "no request begun during the fault failed (requests in flight at the fault are held to the request bound)")
                    : figure("time to detect", m.detectMs(), t.detectSloMs(), "first failure: " + m.detectStatus()));
        }
        boolean requestsAfterHeal = windowEnd != Long.MAX_VALUE && ops.stream().anyMatch(o -> o.startMs() >= windowEnd);
        if (requestsAfterHeal) {
            rules.add(m.recoverMs() == null
                    ? new Rule(slo("time to recover", t.recoverSloMs()), Status.BROKEN, "success never lasted "
                            + t.sustainMs() + " ms after the heal; last requests: " + last(ops, 3))
                    : figure("time to recover", m.recoverMs(), t.recoverSloMs(), "heal → first request of lasting success"));
        }
        if (firstOf(events, History.PROMOTED) != null) {
            rules.add(m.rtoMs() == null
                    ? new Rule(slo("RTO", t.rtoSloMs()), Status.BROKEN, "no write was acknowledged after the primary was lost")
                    : figure("RTO", m.rtoMs(), t.rtoSloMs(), "primary lost → first acknowledged write begun after it"));
        }

        // 8. Writes, against the database.
        if (verdict != null) {
            if (t.lossAllowed() == null) {
                rules.add(Rule.of("no acknowledged write was lost", verdict.lost(),
                        "0 of " + verdict.acknowledged() + " acknowledged writes lost"));
            } else {
                rules.add(new Rule("acknowledged writes lost (RPO), allowed: " + t.lossAllowed(), Status.HELD,
                        verdict.lost().size() + " of " + verdict.acknowledged() + " acknowledged writes lost"));
            }
            rules.add(Rule.of("no write reported as failed was applied (ghost)", verdict.ghosts(),
                    "0 of " + (verdict.attempted() - verdict.acknowledged()) + " unacknowledged writes applied"));
            rules.add(new Rule("writes with an unknown outcome (either end is allowed)", Status.HELD,
                    (verdict.unknownApplied() + verdict.unknownAbsent()) + ": " + verdict.unknownApplied() + " applied, "
                            + verdict.unknownAbsent() + " not applied"));
        }

        // 9. No connection leaked once the load ended.
        if (leaks != null) {
            List<String> leaked = new ArrayList<>(leaks.busySessions());
            if (leaks.borrowedFromPool() != null && leaks.borrowedFromPool() > 0) {
                leaked.add(leaks.borrowedFromPool() + " connection(s) still borrowed from the gateway's pool");
            }
            rules.add(Rule.of("no connection was left busy or borrowed after the load", leaked,
                    leaks.borrowedFromPool() == null
                            ? "no busy session in pg_stat_activity (the gateway does not report its pool: judged from the database only)"
                            : "no busy session in pg_stat_activity, 0 borrowed from the pool"));
        }
        return new Judgement(rules);
    }

    /** Why an answer in the fault window is not allowed, or null when it is. */
    static String unexpectedAnswer(Operation o, Terms t, Long restart, long windowEnd) {
        if (o.ok()) {
            return null;
        }
        if (o.status() == 0) {
            boolean duringRestart = restart != null && o.endMs() >= restart && o.startMs() <= windowEnd;
            return duringRestart ? null : "no answer (" + o.error() + ")";
        }
        if (t.allowedInFault().contains(o.status() + " " + o.error())) {
            return null;
        }
        if (o.status() != 503 && o.status() != 504) {
            return "answered " + answer(o);
        }
        String said = (o.error() == null ? "" : o.error()) + " " + (o.message() == null ? "" : o.message());
        if (!NAMES_THE_DATABASE.matcher(said).find()) {
            return "its error does not name the database: " + answer(o);
        }
        if (o.status() == 503 && !o.retryAfter()) {
            return "a 503 without Retry-After";
        }
        return null;
    }

    private static Rule figure(String name, long value, long limit, String what) {
        return new Rule(slo(name, limit), value <= limit ? Status.HELD : Status.BROKEN, value + " ms (" + what + ")");
    }

    private static String slo(String name, long limit) {
        return name + " ≤ " + limit + " ms (SLO)";
    }

    private static Long firstOf(List<History.Event> events, String name) {
        return events.stream().filter(e -> e.name().equals(name)).map(History.Event::atMs).findFirst().orElse(null);
    }

    private static Long lastOf(List<History.Event> events, String name) {
        Long at = null;
        for (History.Event e : events) {
            if (e.name().equals(name)) {
                at = e.atMs();
            }
        }
        return at;
    }

    public static String describe(Operation o) {
        return o.kind() + (o.key() == null ? "" : " " + o.key()) + " → " + answer(o);
    }

    static String answer(Operation o) {
        return o.status() == 0 ? "no answer" : o.status() + (o.error() == null ? "" : " " + o.error());
    }

    private static String count(List<Operation> ops, Predicate<Operation> which) {
        return ops.stream().filter(which).count() + " requests";
    }

    private static String statusCounts(List<Operation> ops, Predicate<Operation> which) {
        TreeMap<String, Long> counts = ops.stream().filter(which).collect(Collectors.groupingBy(
                o -> o.status() == 0 ? "no answer" : Integer.toString(o.status()), TreeMap::new, Collectors.counting()));
        return counts.isEmpty() ? "no requests" : counts.entrySet().stream().map(e -> e.getValue() + " × " + e.getKey())
                .collect(Collectors.joining(", "));
    }

    private static String last(List<Operation> ops, int n) {
        List<Operation> sorted = ops.stream().sorted(Comparator.comparingLong(Operation::startMs)).toList();
        return sorted.subList(Math.max(0, sorted.size() - n), sorted.size()).stream().map(Judge::describe)
                .collect(Collectors.joining("; "));
    }

    private static String first(List<String> items, int n) {
        return items.size() <= n ? String.join("; ", items) : String.join("; ", items.subList(0, n)) + "; …";
    }
}
