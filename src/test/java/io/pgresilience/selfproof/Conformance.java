package io.pgresilience.selfproof;

import io.pgresilience.config.Settings;
import io.pgresilience.report.IndexPage;
import io.pgresilience.target.PythonEnv;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pgresilience.report.ScenarioResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The conformance of the real ContextForge gateway, next to the reference gateway: the whole suite against each, a
 * table of every scenario with what each gateway did, and a comparison of ContextForge's results with the
 * expectations recorded for its pinned version. The command fails only on a difference, so that a new ContextForge
 * version's changes show up as a diff. Run with {@code mvn test -Pconformance}.
 */
class Conformance {

    private static final Path OUT = Path.of("target", "conformance");
    private static final Path REPORTS = Path.of("reports");
    /** Why ContextForge does not pass a scenario, as recorded with its expectations (source lines included). */
    private static final Map<String, String> REASONS = new TreeMap<>();

    /** One row: a scenario and each gateway's result. */
    record Row(String scenario, Map<String, ScenarioResult> byTarget) {
    }

    @Test
    void contextForgeBehavesAsRecordedForItsVersion() throws IOException {
        Files.createDirectories(OUT);
        Map<String, List<ScenarioResult>> results = new LinkedHashMap<>();
        Map<String, SuiteRun> runs = new LinkedHashMap<>();
        for (String target : List.of("reference", "contextforge")) {
            Path json = OUT.resolve(target + ".json");
            runs.put(target, SuiteRun.of(target, Map.of("target", target), json.toString()));
            results.put(target, ScenarioResult.read(json));
        }
        String version = observedContextForgeVersion();
        Map<String, String> expected = expectations(version);
        List<Row> rows = rows(results);
        List<String> differences = new ArrayList<>();
        List<String> observed = new ArrayList<>();
        for (Row row : rows) {
            ScenarioResult cf = row.byTarget().get("contextforge");
            String actual = cf == null ? "absent" : cf.status();
            String want = expected.getOrDefault(row.scenario(), "passed");
            if (!List.of(want.split("\\s+or\\s+")).contains(actual)) {
                differences.add(row.scenario() + ": expected " + want + ", got " + actual
                        + (cf != null && cf.firstError() != null ? " (" + cf.firstError() + ")" : ""));
            }
            if (cf != null && !actual.equals("passed")) {
                observed.add(actual + " | " + row.scenario() + " | " + (cf.firstError() == null ? "" : cf.firstError()));
            }
        }
        writeTables(rows, runs, version, differences);
        IndexPage.refresh();
        Files.writeString(OUT.resolve("contextforge-" + version + ".observed"), "# ContextForge " + version
                + " as observed; to accept, copy the lines into src/test/resources/conformance/contextforge-" + version
                + ".expected\n" + String.join("\n", observed) + "\n");
        assertThat(runs.get("reference").failed()).as("the reference gateway must pass the whole suite").isEmpty();
        assertThat(differences).as("ContextForge " + version + " behaved differently from its recorded expectations "
                + "(src/test/resources/conformance/contextforge-" + version + ".expected)").isEmpty();
    }

    /** The version the suite pins for the Python it finds (or -Dcontextforge.version / -Dcontextforge.python). */
    private static String observedContextForgeVersion() {
        Settings s = Settings.load();
        return PythonEnv.pinnedVersion(s.text("contextforge.python"), s.text("contextforge.version"));
    }

    /**
     * The recorded behaviour of a ContextForge version: one line per scenario it does not pass,
     * {@code status | scenario | what it does and why}; every other scenario is expected to pass.
     */
    private static Map<String, String> expectations(String version) throws IOException {
        Map<String, String> out = new TreeMap<>();
        String resource = "conformance/contextforge-" + version + ".expected";
        try (InputStream in = Conformance.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new AssertionError("no expectations for ContextForge " + version + ": review "
                        + OUT.resolve("contextforge-" + version + ".observed") + " and copy it to src/test/resources/" + resource);
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                String[] parts = l.split("\\s*\\|\\s*", 3);
                out.put(parts[1], parts[0]);
                REASONS.put(parts[1], parts.length > 2 ? parts[2] : "");
            }
        }
        return out;
    }

    private static List<Row> rows(Map<String, List<ScenarioResult>> results) {
        Map<String, Row> rows = new LinkedHashMap<>();
        results.forEach((target, list) -> list.forEach(r ->
                rows.computeIfAbsent(r.name(), n -> new Row(n, new LinkedHashMap<>())).byTarget().put(target, r)));
        return new ArrayList<>(rows.values());
    }

    private static void writeTables(List<Row> rows, Map<String, SuiteRun> runs, String version, List<String> differences)
            throws IOException {
        StringBuilder md = new StringBuilder("# Conformance: reference gateway vs ContextForge " + version + "\n\n");
        md.append("Every scenario of the suite against each gateway, same lab, same settings. For every failure: what the ")
                .append("gateway actually did. Run: `mvn test -Pconformance`.\n\n");
        md.append("| scenario | reference | ContextForge ").append(version).append(" | why (recorded with the expectations) |\n")
                .append("|---|---|---|---|\n");
        List<Map<String, String>> json = new ArrayList<>();
        for (Row row : rows) {
            md.append("| ").append(row.scenario()).append(" | ").append(cell(row.byTarget().get("reference")))
                    .append(" | ").append(cell(row.byTarget().get("contextforge"))).append(" | ")
                    .append(REASONS.getOrDefault(row.scenario(), "").replace("|", "\\|")).append(" |\n");
            Map<String, String> j = new LinkedHashMap<>();
            j.put("scenario", row.scenario());
            if (REASONS.containsKey(row.scenario())) {
                j.put("contextforge why", REASONS.get(row.scenario()));
            }
            row.byTarget().forEach((t, r) -> {
                j.put(t, r.status());
                if (r.firstError() != null) {
                    j.put(t + " detail", r.firstError());
                }
            });
            json.add(j);
        }
        md.append("\nWall time: ");
        runs.forEach((t, r) -> md.append(t).append(" ").append(r.wallTime().toSeconds()).append(" s; "));
        md.append("\n\nDifferences from the recorded expectations of ContextForge ").append(version).append(": ")
                .append(differences.isEmpty() ? "none.\n" : "\n\n- " + String.join("\n- ", differences) + "\n");
        Files.createDirectories(REPORTS);
        Files.writeString(REPORTS.resolve("conformance.md"), md.toString());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(REPORTS.resolve("conformance.json").toFile(),
                Map.of("contextforge version", version, "rows", json, "differences", differences));
        System.out.println(md);
    }

    private static String cell(ScenarioResult r) {
        if (r == null) {
            return "—";
        }
        String text = r.status().equals("passed") ? "passed" : r.status() + ": " + (r.firstError() == null ? "" : r.firstError());
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
