package io.pgresilience.evidence;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The figures of SPEC §5, computed from a history: time to detect (fault → first failed answer to a request begun at
 * or after the fault and ended before any deliberate restart of the gateway: a request in flight at the fault can only
 * end by a timeout, which the judge's request bound holds; a restart's refusals are not the gateway noticing the
 * database), time to recover
 * (heal → the start of answers that stay successful), failover RTO (fault, or the moment a stopped
 * node is down, → first acknowledged write begun after it), and status counts and latency percentiles while the fault lasted.
 */
public record Metrics(
        Long faultAtMs,
        Long healAtMs,
        Long detectMs,
        Integer detectStatus,
        Long recoverMs,
        Long rtoMs,
        int operations,
        int operationsDuringFault,
        Map<String, Integer> statusCountsDuringFault,
        Long p50MsDuringFault,
        Long p99MsDuringFault,
        Long maxMsDuringFault) {

    public static Metrics of(History history, Duration sustain) {
        List<Operation> ops = history.operations();
        Long fault = history.first(History.FAULT).orElse(null);
        Long heal = history.last(History.HEAL).orElse(null);
        if (fault == null) {
            return new Metrics(null, null, null, null, null, null, ops.size(), 0, Map.of(), null, null, null);
        }
        Long restart = history.first(History.RESTART).filter(r -> r >= fault).orElse(null);
        Optional<Operation> firstFailure = ops.stream()
                .filter(o -> o.startMs() >= fault && !o.ok() && (restart == null || o.endMs() < restart))
                .min(Comparator.comparingLong(Operation::endMs));
        // A stopped node can acknowledge writes until it is down: the outage is measured from then.
        long outage = history.first(History.DOWN).filter(d -> d >= fault).orElse(fault);
        Long rto = ops.stream()
                .filter(o -> o.isWrite() && o.ok() && o.startMs() >= outage)
                .map(o -> o.endMs() - outage)
                .min(Long::compare).orElse(null);
        long windowEnd = heal != null ? heal : Long.MAX_VALUE;
        List<Operation> during = ops.stream().filter(o -> o.startMs() >= fault && o.startMs() <= windowEnd).toList();
        Map<String, Integer> counts = new TreeMap<>();
        during.forEach(o -> counts.merge(o.status() == 0 ? "no answer" : Integer.toString(o.status()), 1, Integer::sum));
        List<Long> latencies = during.stream().map(Operation::latencyMs).sorted().toList();
        return new Metrics(fault, heal,
                firstFailure.map(o -> o.endMs() - fault).orElse(null),
                firstFailure.map(Operation::status).orElse(null),
                heal == null ? null : recovery(ops, heal, sustain.toMillis()),
                rto,
                ops.size(),
                during.size(),
                counts,
                percentile(latencies, 50),
                percentile(latencies, 99),
                latencies.isEmpty() ? null : latencies.get(latencies.size() - 1));
    }

    /** From heal to the first operation after which every operation succeeded, for at least the sustain span. */
    public static Long recovery(List<Operation> ops, long heal, long sustainMs) {
        List<Operation> after = ops.stream().filter(o -> o.startMs() >= heal)
                .sorted(Comparator.comparingLong(Operation::startMs)).toList();
        if (after.isEmpty() || !after.get(after.size() - 1).ok()) {
            return null;
        }
        int first = after.size() - 1;
        while (first > 0 && after.get(first - 1).ok()) {
            first--;
        }
        long span = after.get(after.size() - 1).endMs() - after.get(first).startMs();
        return span >= sustainMs ? after.get(first).startMs() - heal : null;
    }

    static Long percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return null;
        }
        int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, idx)));
    }
}
