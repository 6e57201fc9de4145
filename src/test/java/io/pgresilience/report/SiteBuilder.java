package io.pgresilience.report;

import java.util.ArrayList;
import io.pgresilience.run.RunContext;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgresilience.support.Command;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Turns a run's Allure results into the site: Allure's own report as one offline HTML file (reports/site/), its
 * history kept across runs (reports/history/), and the front page reports/index.html that links story to evidence.
 */
public final class SiteBuilder {

    static final Path REPORTS = Path.of("reports");
    static final Path SITE = REPORTS.resolve("site");
    static final Path HISTORY = REPORTS.resolve("history");
    private static final Path ALLURE_REPORT = Path.of("target", "allure-report");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Attachments the suite puts on the test result itself; their copies in the tear-down are dropped. */
    private static final List<String> EVIDENCE = List.of("evidence", "timeline", "history.json", "the judge's rules", "gateway log",
            "PostgreSQL log");

    private SiteBuilder() {
    }

    public static void build() throws IOException {
        Path results = RunContext.ALLURE_RESULTS;
        if (!Files.isDirectory(results)) {
            throw new IOException("no Allure results in " + results);
        }
        tidyResults(results);
        writeMetadata(results);
        copyTree(HISTORY, results.resolve("history"));
        allure(List.of("generate", "--clean", "-o", ALLURE_REPORT.toString(), results.toString()));
        LivingDocumentation.deleteTree(HISTORY);
        copyTree(ALLURE_REPORT.resolve("history"), HISTORY);
        allure(List.of("generate", "--clean", "--single-file", "-o", SITE.toString(), results.toString()));
        Map<String, String> uids = testCaseUids(SITE.resolve("index.html"));
        ContractPage.write(REPORTS.resolve("contract.html"));
        IndexPage.write(REPORTS.resolve("index.html"), ScenarioResult.read(REPORTS.resolve("cucumber.json")), uids);
    }

    /**
     * Enriches the plugin's results: story labels and the plan link from the tags; the evidence moved from the
     * scenario's tear-down (where Cucumber's After hook attached it) onto the test result, where readers look; and a
     * missed deadline (Awaitility's ConditionTimeoutException) counted as a failed expectation about the gateway,
     * not as a broken test.
     */
    static void tidyResults(Path results) throws IOException {
        Map<String, ObjectNode> tests = new HashMap<>();
        Map<String, Path> testFiles = new HashMap<>();
        List<Path> containers = new ArrayList<>();
        try (Stream<Path> files = Files.list(results)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith("-result.json")) {
                    ObjectNode r = (ObjectNode) JSON.readTree(f.toFile());
                    tests.put(r.path("uuid").asText(), r);
                    testFiles.put(r.path("uuid").asText(), f);
                } else if (name.endsWith("-container.json")) {
                    containers.add(f);
                }
            }
        }
        for (Path f : containers) {
            ObjectNode c = (ObjectNode) JSON.readTree(f.toFile());
            List<JsonNode> moved = new ArrayList<>();
            for (JsonNode after : c.path("afters")) {
                if (after.path("attachments") instanceof ArrayNode list) {
                    for (int i = list.size() - 1; i >= 0; i--) {
                        String n = list.get(i).path("name").asText();
                        if (EVIDENCE.stream().anyMatch(n::startsWith)) {
                            moved.add(0, list.remove(i));
                        }
                    }
                }
            }
            if (moved.isEmpty()) {
                continue;
            }
            for (JsonNode child : c.path("children")) {
                ObjectNode test = tests.get(child.asText());
                if (test != null) {
                    moved.forEach(a -> test.withArray("attachments").add(a));
                }
            }
            JSON.writeValue(f.toFile(), c);
        }
        for (Map.Entry<String, ObjectNode> e : tests.entrySet()) {
            ObjectNode r = e.getValue();
            // A run of several topologies (-Dtopology=all): the same scenario once per topology, each its own test case
            // (the story stays the scenario's); once, also when the site is built again from the same results.
            String topology = TopologyParameter.of(r);
            if (topology != null) {
                r.put("name", r.path("name").asText().replace(" [" + topology + "]", ""));
            }
            AllureMetadata.describe(r);
            if (topology != null) {
                suffix(r, "name", " [" + topology + "]");
                suffix(r, "historyId", "-" + topology);
                suffix(r, "testCaseId", "-" + topology);
            }
            if ("broken".equals(r.path("status").asText())
                    && r.path("statusDetails").path("trace").asText().contains("ConditionTimeoutException")) {
                r.put("status", "failed");
            }
            JSON.writeValue(testFiles.get(e.getKey()).toFile(), r);
        }
    }

    private static void suffix(ObjectNode node, String field, String suffix) {
        String value = node.path(field).asText();
        if (!value.endsWith(suffix)) {
            node.put(field, value + suffix);
        }
    }

    private static void writeMetadata(Path results) throws IOException {
        Files.writeString(results.resolve("executor.json"), """
                {"name": "pg-resilience", "type": "maven", "reportName": "pg-resilience: how the gateway survives PostgreSQL failure",
                 "buildName": "mvn test"}
                """);
        Files.writeString(results.resolve("categories.json"), """
                [
                 {"name": "The gateway missed a deadline", "matchedStatuses": ["failed"], "traceRegex": "(?s).*ConditionTimeoutException.*"},
                 {"name": "The gateway answered against the resilience contract", "matchedStatuses": ["failed"]},
                 {"name": "The lab or the suite could not do its part", "matchedStatuses": ["broken"]},
                 {"name": "Not run against this target", "matchedStatuses": ["skipped"]}
                ]
                """);
    }

    private static void allure(List<String> args) {
        Path cli = allureCommand();
        List<String> argv = new ArrayList<>(List.of("bash", cli.toString()));
        argv.addAll(args);
        Command.of(argv)
                .env(Map.of("JAVA_HOME", System.getProperty("java.home"), "ALLURE_NO_ANALYTICS", "1"))
                .timeout(Duration.ofMinutes(3))
                .check("allure " + args.get(0));
    }

    private static Path allureCommand() {
        Path base = Path.of("target", "allure-cli");
        try (Stream<Path> dirs = Files.list(base)) {
            Optional<Path> bin = dirs.map(d -> d.resolve("bin").resolve("allure")).filter(Files::exists).findFirst();
            return bin.orElseThrow(() -> new IllegalStateException("no Allure command line under " + base));
        } catch (IOException e) {
            throw new IllegalStateException("Allure's command line is not unpacked under " + base + " (run through Maven: mvn test)");
        }
    }

    /** Scenario name → Allure's uid in the single-file report, for deep links from the front page. */
    static Map<String, String> testCaseUids(Path singleFile) throws IOException {
        Map<String, String> out = new HashMap<>();
        String html = Files.readString(singleFile, StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("d\\('data/test-cases/([0-9a-f]+)\\.json','([A-Za-z0-9+/=]+)'\\)").matcher(html);
        while (m.find()) {
            JsonNode tc = JSON.readTree(Base64.getDecoder().decode(m.group(2)));
            out.put(tc.path("name").asText(), m.group(1));
        }
        return out;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        if (!Files.isDirectory(from)) {
            return;
        }
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
