package io.pgresilience;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgresilience.lab.Deployment;
import io.pgresilience.report.ScenarioResult;
import io.pgresilience.report.SiteBuilder;
import io.pgresilience.report.TopologyParameter;
import io.pgresilience.run.RunContext;
import io.pgresilience.selfproof.SuiteRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code mvn test -Dtopology=all}: the acceptance suite once per topology (direct, then pgbouncer, then patroni) in this
 * JVM, each with its own labs, then one site: every scenario once per topology (a column each on the front page, a
 * test case each in Allure), the run context of each. Fails when any topology's run has a failed scenario.
 */
class AllTopologies {

    private static final Path REPORTS = Path.of("reports");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theSuiteInEveryTopology() throws IOException {
        List<String> topologies = Deployment.keys();
        deleteTree(RunContext.ALLURE_RESULTS);
        Files.createDirectories(REPORTS);
        Map<String, SuiteRun> runs = new LinkedHashMap<>();
        for (String t : topologies) {
            System.err.println("pg-resilience: -Dtopology=all: the suite in topology " + t);
            runs.put(t, SuiteRun.of(t, Map.of("topology", t, "site", "false", "topologies", String.join(",", topologies),
                    "run-context.file", REPORTS.resolve("run-context-" + t + ".json").toString()),
                    REPORTS.resolve("cucumber-" + t + ".json").toString(), true));
        }
        mergeReports(topologies);
        RunContext.write(mergedContext(topologies));
        try {
            SiteBuilder.build();
            System.err.println("pg-resilience: documentation site: " + REPORTS.resolve("index.html").toAbsolutePath().toUri());
        } catch (IOException | RuntimeException e) {
            System.err.println("pg-resilience: the documentation site could not be built: " + e.getMessage());
        }
        runs.forEach((t, r) -> System.err.println("pg-resilience: topology " + t + ": " + r.passed().size() + " passed, "
                + r.failed().size() + " failed, " + r.skipped().size() + " skipped, " + r.wallTime().toSeconds() + " s"));
        Map<String, List<String>> failed = new LinkedHashMap<>();
        runs.forEach((t, r) -> {
            if (!r.failed().isEmpty()) {
                failed.put(t, r.failedWithReasons());
            }
        });
        assertThat(failed).as("failed scenarios per topology").isEmpty();
        Map<String, Long> allure = allureResultsByTopology();
        runs.forEach((t, r) -> assertThat(allure.getOrDefault(t, 0L))
                .as("Allure test cases of topology %s (Allure results by topology: %s)", t, allure)
                .isGreaterThanOrEqualTo(r.passed().size() + r.failed().size()));
        assertThat(allure).as("Allure test cases that name no topology").doesNotContainKey("(none)");
        assertThat(runs.values().stream().mapToInt(r -> r.passed().size()).sum()).as("scenarios passed").isPositive();
    }

    /** reports/cucumber.json: every topology's features, each scenario tagged @topology-<name>. */
    private static void mergeReports(List<String> topologies) throws IOException {
        ArrayNode all = JSON.createArrayNode();
        for (String t : topologies) {
            Path part = REPORTS.resolve("cucumber-" + t + ".json");
            if (!Files.exists(part) || Files.size(part) == 0) {
                continue;
            }
            for (JsonNode feature : JSON.readTree(part.toFile())) {
                for (JsonNode scenario : feature.path("elements")) {
                    ((ObjectNode) scenario).withArray("tags").addObject().put("name", ScenarioResult.TOPOLOGY_TAG + t);
                }
                all.add(feature);
            }
        }
        JSON.writeValue(REPORTS.resolve("cucumber.json").toFile(), all);
    }

    /** One run context: a value the topologies share once, one that differs per topology. */
    private static Map<String, String> mergedContext(List<String> topologies) {
        Map<String, Map<String, String>> byTopology = new LinkedHashMap<>();
        topologies.forEach(t -> byTopology.put(t, RunContext.read(REPORTS.resolve("run-context-" + t + ".json"))));
        List<String> keys = new ArrayList<>();
        byTopology.values().forEach(c -> c.keySet().stream().filter(k -> !keys.contains(k)).forEach(keys::add));
        Map<String, String> out = new LinkedHashMap<>();
        out.put("topologies (-Dtopology=all)", String.join(", ", topologies) + ": the suite once in each, one after the other");
        for (String k : keys) {
            List<String> values = topologies.stream().map(t -> byTopology.get(t).get(k)).distinct().toList();
            out.put(k, values.size() == 1 && values.get(0) != null ? values.get(0) : topologies.stream()
                    .filter(t -> byTopology.get(t).get(k) != null).map(t -> t + ": " + byTopology.get(t).get(k))
                    .collect(Collectors.joining(" | ")));
        }
        return out;
    }

    /** How many Allure test cases each topology has; "(none)" for those that do not say (the site would fold them). */
    private static Map<String, Long> allureResultsByTopology() throws IOException {
        if (!Files.isDirectory(RunContext.ALLURE_RESULTS)) {
            return Map.of();
        }
        try (Stream<Path> files = Files.list(RunContext.ALLURE_RESULTS)) {
            List<Path> results = files.filter(p -> p.getFileName().toString().endsWith("-result.json")).toList();
            Map<String, Long> out = new LinkedHashMap<>();
            for (Path p : results) {
                String topology = TopologyParameter.of(JSON.readTree(p.toFile()));
                out.merge(topology == null ? "(none)" : topology, 1L, Long::sum);
            }
            return out;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
