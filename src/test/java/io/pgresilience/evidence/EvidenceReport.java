package io.pgresilience.evidence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pgresilience.config.Bounds;
import io.pgresilience.config.Slo;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** Renders a scenario's evidence: a figures table for people, the raw history as JSON for tools. */
public final class EvidenceReport {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private EvidenceReport() {
    }

    /** The figures of SPEC §5, in order; "—" where a figure does not apply to the scenario. */
    public static Map<String, String> figures(Evidence evidence, Metrics m, Slo slo) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("time to detect (fault → first failed answer to a request begun after it)", (m.detectMs() == null ? "—"
                : m.detectMs() + " ms (" + (m.detectStatus() == 0 ? "no answer" : m.detectStatus()) + ")")
                + (evidence.isOutage() ? "   SLO ≤ " + slo.detect().toMillis() + " ms" : "   (no SLO: the fault does not stop the database)"));
        boolean requestsAfterHeal = m.healAtMs() != null
                && evidence.history().operations().stream().anyMatch(o -> o.startMs() >= m.healAtMs());
        f.put("time to recover (heal → sustained success)", (!requestsAfterHeal ? "—"
                : m.recoverMs() == null ? "not recovered" : m.recoverMs() + " ms") + "   SLO ≤ " + slo.recover().toMillis() + " ms");
        boolean failover = evidence.history().first("promoted").isPresent();
        f.put("RTO (primary lost, or node down, → first acknowledged write begun after it)", (m.rtoMs() == null ? "—" : m.rtoMs() + " ms")
                + (failover ? "   SLO ≤ " + slo.rto().toMillis() + " ms" : ""));
        Verdict v = evidence.verdict();
        if (v != null) {
            f.put("acknowledged writes lost (RPO)", v.lost().size() + " of " + v.acknowledged() + " acknowledged"
                    + (evidence.lossAllowed() == null ? "   allowed: 0" : "   allowed: " + evidence.lossAllowed()));
            f.put("ghost writes (reported failed, yet applied)", Integer.toString(v.ghosts().size()));
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

    public static String text(String scenario, Evidence evidence, Metrics m, Bounds b, Slo slo, long requestBoundMs) {
        StringBuilder sb = new StringBuilder("Evidence — ").append(scenario).append('\n');
        sb.append("\nTimeline (ms since the scenario began):\n");
        for (History.Event e : evidence.history().events()) {
            sb.append(String.format("  %7d  %-10s %s%n", e.atMs(), e.name(), e.description()));
        }
        sb.append("\nFigures:\n");
        figures(evidence, m, slo).forEach((k, v) -> sb.append(String.format("  %-55s %s%n", k, v)));
        Verdict v = evidence.verdict();
        if (v != null && (!v.lost().isEmpty() || !v.ghosts().isEmpty())) {
            sb.append("\nLost: ").append(v.lost()).append("\nGhosts: ").append(v.ghosts()).append('\n');
        }
        sb.append(judgement(evidence.judgement()));
        sb.append(String.format("%nSLOs: %s; a request may take at most %d ms (the gateway's timeouts + slack)%n", slo.describe(),
                requestBoundMs));
        sb.append(String.format("Deadlines of the suite's waits on the lab: %d / %d / %d ms, sustain %d ms, poll every %d ms, "
                        + "HTTP client timeout %d ms%n", b.detect().toMillis(), b.recover().toMillis(), b.rto().toMillis(),
                b.sustain().toMillis(), b.poll().toMillis(), b.http().toMillis()));
        return sb.toString();
    }

    /** The judge's rules, each with how it held. */
    public static String judgement(Judge.Judgement j) {
        if (j == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder("\nThe judge's rules:\n");
        for (Judge.Rule r : j.rules()) {
            String mark = switch (r.status()) {
                case HELD -> "held  ";
                case BROKEN -> "BROKEN";
                case NOT_APPLICABLE -> "n/a   ";
            };
            sb.append(String.format("  %s  %s%n          %s%n", mark, r.name(), r.detail()));
        }
        return sb.toString();
    }

    public static String json(Evidence evidence, Metrics m) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("metrics", m);
        doc.put("verdict", evidence.verdict());
        doc.put("judgement", evidence.judgement());
        doc.put("notes", evidence.notes());
        doc.put("events", evidence.history().events());
        doc.put("operations", evidence.history().operations());
        try {
            return JSON.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            return "{\"error\": \"" + e.getMessage() + "\"}";
        }
    }
}
