package io.pgresilience.selfproof;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgresilience.report.ScenarioResult;
import io.pgresilience.faults.CommitCut;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.Base64;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/**
 * The whole suite on the suite's own fault proxy and on a real Toxiproxy server, one after the other in the same run:
 * the same verdict for every scenario, with each run's wall time. Run with {@code mvn test -Pfaults-parity}; the table
 * goes to stdout and reports/faults-parity.md.
 */
class FaultsParity {

    private static final Path OUT = Path.of("target", "faults-parity");

    @Test
    void theSameVerdictsOnToxiproxy() throws IOException {
        Files.createDirectories(OUT);
        Map<String, SuiteRun> runs = new LinkedHashMap<>();
        Map<String, Map<String, ScenarioResult>> results = new LinkedHashMap<>();
        Map<String, Map<String, JsonNode>> figures = new LinkedHashMap<>();
        for (String faults : List.of("in-jvm", "toxiproxy")) {
            Path json = OUT.resolve(faults + ".json");
            runs.put(faults, SuiteRun.of(faults, Map.of("faults", faults), json.toString()));
            Map<String, ScenarioResult> byName = new LinkedHashMap<>();
            ScenarioResult.read(json).forEach(r -> byName.put(r.name(), r));
            results.put(faults, byName);
            figures.put(faults, figures(json));
        }
        TreeSet<String> scenarios = new TreeSet<>();
        results.values().forEach(m -> scenarios.addAll(m.keySet()));
        runs.values().forEach(r -> {
            scenarios.addAll(r.passed());
            scenarios.addAll(r.failed());
            scenarios.addAll(r.skipped());
        });
        List<String> rows = new ArrayList<>(List.of("| scenario | in-JVM proxy | Toxiproxy | detect ms (in-JVM / Toxiproxy) "
                + "| recover ms | RTO ms |", "|---|---|---|---|---|---|"));
        List<String> differences = new ArrayList<>();
        for (String s : scenarios) {
            String a = status(results.get("in-jvm").get(s), runs.get("in-jvm"), s);
            String b = status(results.get("toxiproxy").get(s), runs.get("toxiproxy"), s);
            JsonNode fa = figures.get("in-jvm").get(s);
            JsonNode fb = figures.get("toxiproxy").get(s);
            // A fault Toxiproxy cannot make (a cut between a COMMIT and its answer) is skipped there with that reason.
            boolean engineCannot = b.startsWith("skipped") && reason(results.get("toxiproxy").get(s), runs.get("toxiproxy"), s)
                    .contains(CommitCut.CANNOT);
            rows.add("| " + s + " | " + a + " | " + b + (a.equals(b) ? "" : engineCannot ? " (Toxiproxy cannot make this fault)" : " **differs**")
                    + " | " + pair(fa, fb, "detectMs") + " | " + pair(fa, fb, "recoverMs") + " | " + pair(fa, fb, "rtoMs") + " |");
            if (!a.equals(b) && !engineCannot) {
                differences.add(s + ": in-JVM " + a + reason(results.get("in-jvm").get(s), runs.get("in-jvm"), s) + ", Toxiproxy " + b
                        + reason(results.get("toxiproxy").get(s), runs.get("toxiproxy"), s));
            }
        }
        String table = "# Fault proxies: the suite's own and a real Toxiproxy, same verdicts\n\n"
                + "Figures as each run measured them (time to detect from the fault, to recover from the heal, RTO from the "
                + "lost primary; — where the scenario has none). Wall time: in-JVM " + runs.get("in-jvm").wallTime().toSeconds() + " s, Toxiproxy "
                + runs.get("toxiproxy").wallTime().toSeconds() + " s.\n\n" + String.join("\n", rows) + "\n";
        Files.createDirectories(Path.of("reports"));
        Files.writeString(Path.of("reports", "faults-parity.md"), table);
        System.out.println(table);
        assertThat(runs.get("toxiproxy").passed()).as("scenarios run on Toxiproxy").isNotEmpty();
        assertThat(differences).as("verdicts that differ between the in-JVM proxy and Toxiproxy").isEmpty();
    }

    /** Each scenario's figures (detect, recover, RTO) from the history it attached to the Cucumber JSON report. */
    private static Map<String, JsonNode> figures(Path cucumberJson) throws IOException {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        ObjectMapper json = new ObjectMapper();
        for (JsonNode feature : json.readTree(cucumberJson.toFile())) {
            for (JsonNode scenario : feature.path("elements")) {
                for (String part : List.of("steps", "after")) {
                    for (JsonNode step : scenario.path(part)) {
                        for (JsonNode e : step.path("embeddings")) {
                            if ("history.json".equals(e.path("name").asText())) {
                                out.put(scenario.path("name").asText(), json.readTree(Base64.getDecoder().decode(e.path("data").asText()))
                                        .path("metrics"));
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    private static String pair(JsonNode a, JsonNode b, String figure) {
        return value(a, figure) + " / " + value(b, figure);
    }

    private static String value(JsonNode metrics, String figure) {
        return metrics == null || metrics.path(figure).isMissingNode() || metrics.path(figure).isNull() ? "—"
                : metrics.path(figure).asText();
    }

    /**
     * The scenario's status from the Cucumber report, else from what JUnit saw: a scenario that failed before Cucumber
     * started it (e.g. its lab did not start) has no place in the report.
     */
    private static String status(ScenarioResult r, SuiteRun run, String scenario) {
        return r != null ? r.status() : run.statusOf(scenario).map(s -> s + " (not in the Cucumber report)").orElse("absent");
    }

    private static String reason(ScenarioResult r, SuiteRun run, String scenario) {
        String why = r != null ? r.firstError() : run.reasonOf(scenario).orElse(null);
        return why == null || (r != null && r.status().equals("passed")) ? "" : " (" + why + ")";
    }
}
