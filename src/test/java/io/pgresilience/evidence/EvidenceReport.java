package io.pgresilience.evidence;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pgresilience.config.Bounds;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** Renders a scenario's evidence: a figures table for people, the raw history as JSON for tools. */
public final class EvidenceReport {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private EvidenceReport() {
    }

    /** The figures of SPEC §5, in order; "—" where a figure does not apply to the scenario. */
    public static Map<String, String> figures(Evidence evidence, Metrics m) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("time to detect (fault → first failed answer)", m.detectMs() == null ? "—"
                : m.detectMs() + " ms (" + (m.detectStatus() == 0 ? "no answer" : m.detectStatus()) + ")");
        boolean requestsAfterHeal = m.healAtMs() != null
                && evidence.history().operations().stream().anyMatch(o -> o.startMs() >= m.healAtMs());
        f.put("time to recover (heal → sustained success)", !requestsAfterHeal ? "—"
                : m.recoverMs() == null ? "not recovered" : m.recoverMs() + " ms");
        f.put("RTO (fault, or node down, → first acknowledged write begun after it)", m.rtoMs() == null ? "—" : m.rtoMs() + " ms");
        Verdict v = evidence.verdict();
        if (v != null) {
            f.put("acknowledged writes lost (RPO)", v.lost().size() + " of " + v.acknowledged() + " acknowledged");
            f.put("ghost writes (reported failed, yet applied)", Integer.toString(v.ghosts().size()));
            f.put("duplicated writes", Integer.toString(v.duplicates().size()));
            f.put("writes with unknown outcome: applied / not applied", v.unknownApplied() + " / " + v.unknownAbsent());
        }
        f.put("operations in the scenario / during the fault", m.operations() + " / " + m.operationsDuringFault());
        f.put("status counts during the fault", m.statusCountsDuringFault().isEmpty() ? "—"
                : m.statusCountsDuringFault().entrySet().stream().map(e -> e.getKey() + " × " + e.getValue())
                        .collect(Collectors.joining(", ")));
        f.put("latency during the fault p50 / p99 / max", m.p50MsDuringFault() == null ? "—"
                : m.p50MsDuringFault() + " / " + m.p99MsDuringFault() + " / " + m.maxMsDuringFault() + " ms");
        f.putAll(evidence.notes());
        return f;
    }

    public static String text(String scenario, Evidence evidence, Metrics m, Bounds b) {
        StringBuilder sb = new StringBuilder("Evidence — ").append(scenario).append('\n');
        sb.append("\nTimeline (ms since the scenario began):\n");
        for (History.Event e : evidence.history().events()) {
            sb.append(String.format("  %7d  %-10s %s%n", e.atMs(), e.name(), e.description()));
        }
        sb.append("\nFigures:\n");
        figures(evidence, m).forEach((k, v) -> sb.append(String.format("  %-55s %s%n", k, v)));
        Verdict v = evidence.verdict();
        if (v != null && (!v.lost().isEmpty() || !v.ghosts().isEmpty() || !v.duplicates().isEmpty())) {
            sb.append("\nLost: ").append(v.lost()).append("\nGhosts: ").append(v.ghosts())
                    .append("\nDuplicates: ").append(v.duplicates()).append('\n');
        }
        sb.append(String.format("%nDeadlines: detect %d ms, recover %d ms, RTO %d ms, sustain %d ms, poll every %d ms, "
                        + "HTTP client timeout %d ms%n", b.detect().toMillis(), b.recover().toMillis(), b.rto().toMillis(),
                b.sustain().toMillis(), b.poll().toMillis(), b.http().toMillis()));
        return sb.toString();
    }

    public static String json(Evidence evidence, Metrics m) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("metrics", m);
        doc.put("verdict", evidence.verdict());
        doc.put("notes", evidence.notes());
        doc.put("events", evidence.history().events());
        doc.put("operations", evidence.history().operations());
        try {
            return JSON.writeValueAsString(doc);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return "{\"error\": \"" + e.getMessage() + "\"}";
        }
    }
}
