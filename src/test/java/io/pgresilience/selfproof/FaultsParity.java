package io.pgresilience.selfproof;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgresilience.report.ScenarioResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
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
        for (String faults : List.of("in-jvm", "toxiproxy")) {
            Path json = OUT.resolve(faults + ".json");
            runs.put(faults, SuiteRun.of(faults, Map.of("faults", faults), json.toString()));
            Map<String, ScenarioResult> byName = new LinkedHashMap<>();
            ScenarioResult.read(json).forEach(r -> byName.put(r.name(), r));
            results.put(faults, byName);
        }
        TreeSet<String> scenarios = new TreeSet<>();
        results.values().forEach(m -> scenarios.addAll(m.keySet()));
        List<String> rows = new ArrayList<>(List.of("| scenario | in-JVM proxy | Toxiproxy |", "|---|---|---|"));
        List<String> differences = new ArrayList<>();
        for (String s : scenarios) {
            String a = status(results.get("in-jvm").get(s));
            String b = status(results.get("toxiproxy").get(s));
            rows.add("| " + s + " | " + a + " | " + b + (a.equals(b) ? "" : " **differs**") + " |");
            if (!a.equals(b)) {
                ScenarioResult r = results.get("toxiproxy").get(s);
                differences.add(s + ": in-JVM " + a + ", Toxiproxy " + b + (r != null && r.firstError() != null ? " (" + r.firstError() + ")" : ""));
            }
        }
        String table = "# Fault proxies: the suite's own and a real Toxiproxy, same verdicts\n\n"
                + "Wall time: in-JVM " + runs.get("in-jvm").wallTime().toSeconds() + " s, Toxiproxy "
                + runs.get("toxiproxy").wallTime().toSeconds() + " s.\n\n" + String.join("\n", rows) + "\n";
        Files.createDirectories(Path.of("reports"));
        Files.writeString(Path.of("reports", "faults-parity.md"), table);
        System.out.println(table);
        assertThat(runs.get("toxiproxy").passed()).as("scenarios run on Toxiproxy").isNotEmpty();
        assertThat(differences).as("verdicts that differ between the in-JVM proxy and Toxiproxy").isEmpty();
    }

    private static String status(ScenarioResult r) {
        return r == null ? "absent" : r.status();
    }
}
