package io.pgresilience.evidence;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the final database state says about the writes of a history: which acknowledged writes were lost,
 * which failed writes appeared anyway (ghosts), and where unknown writes ended up. (No duplicate check: every
 * write has its own key and the gateways' tables keep names unique, so a duplicate could not show.)
 */
public record Verdict(
        int attempted,
        int acknowledged,
        List<String> lost,
        List<String> ghosts,
        int unknownApplied,
        int unknownAbsent) {

    /** @param present how often each key of this history's writes is in the database */
    public static Verdict judge(List<Operation> operations, Map<String, Integer> present) {
        Set<String> ok = new TreeSet<>();
        Set<String> failed = new TreeSet<>();
        Set<String> unknown = new TreeSet<>();
        int attempted = 0;
        for (Operation op : operations) {
            if (!op.isWrite()) {
                continue;
            }
            attempted++;
            switch (op.outcome()) {
                case OK -> ok.add(op.key());
                case FAIL -> failed.add(op.key());
                case UNKNOWN -> unknown.add(op.key());
            }
        }
        List<String> lost = new ArrayList<>();
        for (String k : ok) {
            if (present.getOrDefault(k, 0) == 0) {
                lost.add(k);
            }
        }
        List<String> ghosts = new ArrayList<>();
        for (String k : failed) {
            if (!ok.contains(k) && !unknown.contains(k) && present.getOrDefault(k, 0) > 0) {
                ghosts.add(k);
            }
        }
        int unknownApplied = (int) unknown.stream().filter(k -> present.getOrDefault(k, 0) > 0).count();
        return new Verdict(attempted, ok.size(), lost, ghosts, unknownApplied, unknown.size() - unknownApplied);
    }
}
