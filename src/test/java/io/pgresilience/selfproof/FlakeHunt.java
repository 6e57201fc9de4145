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
 * The whole suite N times in a row (-Druns=N, default 5): pass/fail and wall time per run. Every run must be green.
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
        for (int i = 1; i <= runs; i++) {
            for (String topology : topologies) {
                String label = "run " + i + (topology.isEmpty() ? "" : " " + topology);
                SuiteRun run = SuiteRun.of(label, topology.isEmpty() ? Map.of() : Map.of("topology", topology),
                        out.resolve(label.replace(' ', '-') + ".json").toString());
                green += run.green() ? 1 : 0;
                rows.add("| " + i + (topology.isEmpty() ? "" : " (" + topology + ")") + " | " + (run.green() ? "green" : "RED")
                        + " | " + run.passed().size() + " / " + run.failed().size() + " / " + run.skipped().size() + " | "
                        + String.join("<br>", run.failedWithReasons()) + " | " + run.wallTime().toSeconds() + " s |");
                System.out.println(label + ": " + (run.green() ? "green" : "RED " + run.failed()) + " in "
                        + run.wallTime().toSeconds() + " s");
            }
        }
        int total = runs * topologies.size();
        String table = "# Flake hunt: the whole suite " + runs + " times in a row"
                + (everyTopology ? ", each time in every topology (" + String.join(", ", topologies) + ")" : "") + "\n\n"
                + green + "/" + total + " green.\n\n" + String.join("\n", rows) + "\n";
        Files.createDirectories(Path.of("reports"));
        Files.writeString(Path.of("reports", "flake-hunt.md"), table);
        System.out.println(table);
        assertThat(green).as("green runs").isEqualTo(total);
    }
}
