package io.pgresilience.selfproof;


import static org.assertj.core.api.Assertions.assertThat;

import io.pgresilience.lab.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole suite N times in a row (-Druns=N, default 5): pass/fail and wall time per run, and every scenario whose
 * verdict was not the same in every run. Every run must be green (for a gateway with known failures, such as ContextForge,
 * the table of unsteady verdicts is what counts).
 * Run with {@code mvn test -Pflake-hunt -Druns=5} (with {@code -Dtopology=all}, each run in every topology); the table goes to stdout and reports/flake-hunt.md.
 */
class FlakeHunt {

    @Test
    void everyRunIsGreen() throws IOException {
        int runs = Integer.getInteger("runs", 5);
        // -Dtopology=all: each run is the suite once per topology, as mvn test -Dtopology=all runs it
        boolean everyTopology = "all".equals(System.getProperty("topology", "").trim());
        List<String> topologies = everyTopology ? Deployment.keys() : List.of("");
        Path out = Path.of("target", "flake-hunt");
        Files.createDirectories(out);
        List<String> rows = new ArrayList<>(List.of("| run | result | scenarios passed / failed / skipped | failed | wall time |",
                "|---|---|---|---|---|"));
        int green = 0;
        // each scenario's verdict in each run: a scenario whose verdict is not the same in every run is a flake, whether
        // it passes or fails (a gateway that fails a scenario in some runs only is judged by luck)
        Map<String, List<String>> verdicts = new java.util.TreeMap<>();
        int done = 0;
        for (int i = 1; i <= runs; i++) {
            for (String topology : topologies) {
                String label = "run " + i + (topology.isEmpty() ? "" : " " + topology);
                SuiteRun run = SuiteRun.of(label, topology.isEmpty() ? Map.of() : Map.of("topology", topology),
                        out.resolve(label.replace(' ', '-') + ".json").toString());
                green += run.green() ? 1 : 0;
                done++;
                rows.add("| " + i + (topology.isEmpty() ? "" : " (" + topology + ")") + " | " + (run.green() ? "green" : "RED")
                        + " | " + run.passed().size() + " / " + run.failed().size() + " / " + run.skipped().size() + " | "
                        + String.join("<br>", run.failedWithReasons()) + " | " + run.wallTime().toSeconds() + " s |");
                System.out.println(label + ": " + (run.green() ? "green" : "RED " + run.failed()) + " in "
                        + run.wallTime().toSeconds() + " s");
                for (String scenario : union(run)) {
                    verdicts.computeIfAbsent((topology.isEmpty() ? "" : topology + ": ") + scenario, k -> new ArrayList<>())
                            .add(run.statusOf(scenario).orElse("absent"));
                }
                // written after every run: a hunt stopped half-way keeps what it saw
                write(runs, done, everyTopology, topologies, green, rows, verdicts);
            }
        }
        int total = runs * topologies.size();
        String table = write(runs, done, everyTopology, topologies, green, rows, verdicts);
        System.out.println(table);
        assertThat(green).as("green runs").isEqualTo(total);
    }

    private static List<String> union(SuiteRun run) {
        List<String> all = new ArrayList<>(run.passed());
        all.addAll(run.failed());
        all.addAll(run.skipped());
        return all.stream().distinct().toList();
    }

    private static String write(int runs, int done, boolean everyTopology, List<String> topologies, int green, List<String> rows,
                                Map<String, List<String>> verdicts) throws IOException {
        List<String> unsteady = new ArrayList<>();
        verdicts.forEach((scenario, v) -> {
            if (v.stream().distinct().count() > 1) {
                unsteady.add("| " + scenario + " | " + String.join(", ", v) + " |");
            }
        });
        String table = "# Flake hunt: the whole suite " + runs + " times in a row"
                + (everyTopology ? ", each time in every topology (" + String.join(", ", topologies) + ")" : "") + "\n\n"
                + green + "/" + done + " green" + (done < runs * topologies.size() ? " (so far: " + done + " of "
                + runs * topologies.size() + " runs done)" : "") + ".\n\n" + String.join("\n", rows) + "\n\n"
                + "Scenarios whose verdict was not the same in every run: " + (unsteady.isEmpty() ? "none.\n"
                : unsteady.size() + "\n\n| scenario | verdict per run |\n|---|---|\n" + String.join("\n", unsteady) + "\n");
        Files.createDirectories(Path.of("reports"));
        Files.writeString(Path.of("reports", "flake-hunt.md"), table);
        return table;
    }
}
