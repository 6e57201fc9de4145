package io.pgresilience.selfproof;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgresilience.lab.Deployment;
import io.pgresilience.support.CleanEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code mvn test -Pshell-environment}: the suite run from a shell that exports libpq's variables, each set to a value
 * that would break whatever read it (another host and port, a user and database that do not exist, SSL required of
 * servers that have none, a 1 ms statement timeout, a standby as the only acceptable server; see the profile in
 * pom.xml). The lab, the gateway and the suite's own connections must take none of them: the scenarios that build a
 * standby, stop the database, time a statement out and fail over pass as they do from a clean shell, in each topology
 * of -Dtopology (all by default), for the gateway of -Dtarget; the run context names every variable as ignored.
 *
 * <p>And the proof that this can fail: with the lab defect {@code inherit-shell-environment} (every process the suite
 * starts takes the shell's environment, as it did before {@link CleanEnvironment}), one scenario in the direct topology
 * must fail. The report is reports/shell-environment.md.
 */
class ShellEnvironmentProof {

    /** What the profile exports: the proof refuses to run without them, so it can never pass for want of them. */
    static final List<String> EXPORTED = List.of("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "PGSSLMODE",
            "PGOPTIONS", "PGCONNECT_TIMEOUT", "PGTARGETSESSIONATTRS", "PGAPPNAME");

    private static final String TAGS = "@CL-01 or @TX-02 or @FO-01";
    private static final Path REPORTS = Path.of("reports");

    @Test
    void libpqVariablesInTheShellChangeNoVerdict() throws IOException {
        List<String> missing = EXPORTED.stream().filter(v -> System.getenv(v) == null).toList();
        assertThat(missing).as("libpq variables this proof needs in its environment (run it as mvn test -Pshell-environment, "
                + "which exports them)").isEmpty();
        String topology = System.getProperty("topology", "all").trim();
        List<String> topologies = topology.isEmpty() || topology.equals("all") ? Deployment.keys() : List.of(topology.split(","));
        String target = System.getProperty("target", "reference");
        Files.createDirectories(REPORTS);
        StringBuilder md = new StringBuilder("# libpq variables in the shell\n\nExported for this run: ")
                .append(EXPORTED.stream().map(v -> "`" + v + "=" + (v.equals("PGPASSWORD") ? "***" : System.getenv(v)) + "`")
                        .reduce((a, b) -> a + ", " + b).orElse(""))
                .append(".\n\nTarget `").append(target).append("`, scenarios `").append(TAGS).append("`.\n\n")
                .append("| topology | passed | failed | run context: set and ignored |\n|---|---|---|---|\n");
        Map<String, List<String>> failed = new LinkedHashMap<>();
        Map<String, String> notNamed = new LinkedHashMap<>();
        int passed = 0;
        for (String t : topologies) {
            Path context = REPORTS.resolve("run-context-shell-" + t + ".json");
            SuiteRun run = SuiteRun.of("shell environment, " + t, Map.of("topology", t.strip(), "cucumber.filter.tags", TAGS,
                    "run-context.file", context.toString()), REPORTS.resolve("cucumber-shell-" + t + ".json").toString());
            passed += run.passed().size();
            if (!run.failed().isEmpty()) {
                failed.put(t, run.failedWithReasons());
            }
            String line = shellLine(context);
            List<String> unnamed = EXPORTED.stream().filter(v -> !line.contains(v)).toList();
            if (!unnamed.isEmpty()) {
                notNamed.put(t, "the run context does not name " + unnamed + " as ignored: \"" + line + "\"");
            }
            md.append("| ").append(t).append(" | ").append(run.passed().size()).append(": ")
                    .append(String.join(", ", run.passed())).append(" | ").append(run.failed().size()).append(" | ")
                    .append(unnamed.isEmpty() ? "all " + EXPORTED.size() : "missing " + unnamed).append(" |\n");
        }

        // the proof that this can fail: the same shell, the processes taking it
        // (one lab, and a short wait for it: a standby that takes PGSSLMODE=require never streams)
        SuiteRun leaking = SuiteRun.of("shell environment, inherited", Map.of("topology", "direct",
                "cucumber.filter.tags", "@CL-01", "lab.defects", CleanEnvironment.DEFECT, "labs", "1", "deadline.lab-ms", "10000"),
                REPORTS.resolve("cucumber-shell-inherited.json").toString());
        md.append("\nWith the lab defect `inherit-shell-environment` (every process takes the shell's environment), ")
                .append("`@CL-01`, direct: ").append(leaking.passed().size()).append(" passed, ").append(leaking.failed().size())
                .append(" failed").append(leaking.failedWithReasons().isEmpty() ? "" : " — " + leaking.failedWithReasons().get(0))
                .append("\n");
        Files.writeString(REPORTS.resolve("shell-environment.md"), md);
        System.err.println("pg-resilience: shell environment proof: " + REPORTS.resolve("shell-environment.md").toAbsolutePath());

        assertThat(failed).as("scenarios that failed with libpq variables in the shell (from a clean shell they pass)").isEmpty();
        assertThat(notNamed).as("run contexts that do not list the shell's libpq variables as ignored").isEmpty();
        assertThat(passed).as("scenarios passed").isPositive();
        assertThat(leaking.failed()).as("scenarios failed when every process takes the shell's environment (the proof that "
                + "this check can fail)").isNotEmpty();
    }

    private static String shellLine(Path context) {
        try {
            JsonNode n = new ObjectMapper().readTree(context.toFile());
            JsonNode line = n.path("shell environment");
            return line.isMissingNode() ? "(no shell environment line)" : line.asText();
        } catch (IOException e) {
            return "(no run context: " + e.getMessage() + ")";
        }
    }
}
