package io.pgresilience.selfproof;


import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole suite N times in a row (-Druns=N, default 5): pass/fail and wall time per run. Every run must be green.
 * Run with {@code mvn test -Pflake-hunt -Druns=5}; the table goes to stdout and reports/flake-hunt.md.
 */
class FlakeHunt {

    @Test
    void everyRunIsGreen() throws IOException {
        int runs = Integer.getInteger("runs", 5);
        Path out = Path.of("target", "flake-hunt");
        Files.createDirectories(out);
        List<String> rows = new ArrayList<>(List.of("| run | result | scenarios passed / failed / skipped | failed | wall time |",
                "|---|---|---|---|---|"));
        int green = 0;
        for (int i = 1; i <= runs; i++) {
            SuiteRun run = SuiteRun.of("run " + i, Map.of(), out.resolve("run-" + i + ".json").toString());
            green += run.green() ? 1 : 0;
            rows.add("| " + i + " | " + (run.green() ? "green" : "RED") + " | " + run.passed().size() + " / "
                    + run.failed().size() + " / " + run.skipped().size() + " | " + String.join("<br>", run.failedWithReasons()) + " | "
                    + run.wallTime().toSeconds() + " s |");
            System.out.println("run " + i + ": " + (run.green() ? "green" : "RED " + run.failed()) + " in "
                    + run.wallTime().toSeconds() + " s");
        }
        String table = "# Flake hunt: the whole suite " + runs + " times in a row\n\n" + green + "/" + runs + " green.\n\n"
                + String.join("\n", rows) + "\n";
        Files.createDirectories(Path.of("reports"));
        Files.writeString(Path.of("reports", "flake-hunt.md"), table);
        System.out.println(table);
        assertThat(green).as("green runs").isEqualTo(runs);
    }
}
