package io.pgresilience.report;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One executed scenario as Cucumber's JSON report records it: its feature, name, tags and overall status, and the
 * figures of its evidence (time to detect, recover, RTO, acknowledged writes lost, a switchover's error window, the longest request).
 */
public record ScenarioResult(String feature, String name, List<String> tags, String status, String firstError,
                             java.util.Map<String, String> figures) {

    /** The same result with another account of it (e.g. what a re-run showed). */
    public ScenarioResult withFirstError(String error) {
        return new ScenarioResult(feature, name, tags, status, error, figures);
    }

    /** The tag a run of several topologies (-Dtopology=all) gives each scenario: {@code @topology-<name>}. */
    public static final String TOPOLOGY_TAG = "@topology-";

    /** The topology the scenario ran in, when the report is a run of several; else null. */
    public String topology() {
        return tags.stream().filter(t -> t.startsWith(TOPOLOGY_TAG)).map(t -> t.substring(TOPOLOGY_TAG.length()))
                .findFirst().orElse(null);
    }

    private static final Pattern DEADLINE = Pattern.compile(
            "Condition with alias '(.*?)' didn't complete within (.*?) because (?:lambda expression in [\\w.$]+ )?(.*)");
    private static final Pattern LAST_INPUT = Pattern.compile(
            "expected the predicate to return <true> but it returned <false> for input of <(.*)>\\.?$");

    /** A failure as a reader wants it: what was expected, by when, and what the gateway did; no exception class names. */
    static String readable(String error) {
        if (error == null) {
            return null;
        }
        String e = error.replaceFirst("^[\\w.$]+(Exception|Error): ", "").strip();
        Matcher m = DEADLINE.matcher(e);
        if (m.find()) {
            String why = m.group(3);
            Matcher last = LAST_INPUT.matcher(why);
            why = last.find() ? "last answer: " + last.group(1)
                    : why.replace("expected the predicate to return <true> but was null.", "it never happened");
            e = m.group(1) + ": not within " + m.group(2) + " (" + why + ")";
        }
        return e;
    }

    /** The figures from the scenario's history.json attachment (none for a scenario without a fault). */
    private static java.util.Map<String, String> figures(JsonNode scenario) {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String part : List.of("steps", "after")) {
            for (JsonNode p : scenario.path(part)) {
                for (JsonNode e : p.path("embeddings")) {
                    if (!e.path("name").asText().startsWith("history.json")) {
                        continue;
                    }
                    try {
                        JsonNode h = new ObjectMapper().readTree(java.util.Base64.getDecoder().decode(e.path("data").asText()));
                        JsonNode m = h.path("metrics");
                        if (m.path("faultAtMs").isNull() || m.path("faultAtMs").isMissingNode()) {
                            continue;
                        }
                        put(out, "detect", m.path("detectMs"), " ms");
                        put(out, "recover", m.path("recoverMs"), " ms");
                        put(out, "RTO", m.path("rtoMs"), " ms");
                        // the longest any request was held, the fault's or not (a request the gateway let hang shows here)
                        long longest = -1;
                        for (JsonNode o : h.path("operations")) {
                            if (o.path("endMs").isNumber() && o.path("startMs").isNumber()) {
                                longest = Math.max(longest, o.path("endMs").asLong() - o.path("startMs").asLong());
                            }
                        }
                        if (longest >= 0) {
                            out.put("longest request", longest + " ms");
                        }
                        JsonNode v = h.path("verdict");
                        if (v.has("acknowledged")) {
                            out.put("lost", v.path("lost").size() + " of " + v.path("acknowledged").asInt());
                        }
                        h.path("notes").fields().forEachRemaining(n -> {
                            if (n.getKey().startsWith("switchover error window")) {
                                out.put("switchover window", n.getValue().asText().replaceFirst(" \\(.*", ""));
                            }
                        });
                    } catch (IOException | IllegalArgumentException ex) {
                        // a figure the page cannot read is left out
                    }
                }
            }
        }
        return out;
    }

    private static void put(java.util.Map<String, String> out, String key, JsonNode value, String unit) {
        if (value.isNumber()) {
            out.put(key, value.asLong() + unit);
        }
    }

    /** The figures in one line, as the site and the conformance table show them: "detect 900 ms · recover 13185 ms · …". */
    public String figuresLine() {
        return figures.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                .collect(java.util.stream.Collectors.joining(" · "));
    }

    public boolean has(String tag) {
        return tags.contains(tag);
    }

    /** Every scenario in the report; a scenario failed if any hook or step failed, skipped if any was skipped. */
    public static List<ScenarioResult> read(Path cucumberJson) throws IOException {
        List<ScenarioResult> out = new ArrayList<>();
        if (!Files.exists(cucumberJson) || Files.size(cucumberJson) == 0) {
            return out;
        }
        JsonNode features = new ObjectMapper().readTree(cucumberJson.toFile());
        for (JsonNode f : features) {
            for (JsonNode s : f.path("elements")) {
                if (!"scenario".equals(s.path("type").asText())) {
                    continue;
                }
                List<String> tags = new ArrayList<>();
                s.path("tags").forEach(t -> tags.add(t.path("name").asText()));
                String status = "passed";
                String error = null;
                for (String part : List.of("before", "steps", "after")) {
                    for (JsonNode p : s.path(part)) {
                        String st = p.path("result").path("status").asText();
                        if (st.equals("failed") || st.equals("undefined") || st.equals("ambiguous")) {
                            status = "failed";
                            if (error == null) {
                                error = p.path("result").path("error_message").asText("(" + st + ")").split("\n")[0];
                            }
                        } else if ((st.equals("skipped") || st.equals("pending")) && !status.equals("failed")) {
                            status = "skipped";
                            if (error == null && p.path("result").has("error_message")) {
                                error = p.path("result").path("error_message").asText().split("\n")[0];
                            }
                        }
                    }
                }
                out.add(new ScenarioResult(f.path("name").asText(), s.path("name").asText(), tags, status, readable(error),
                        figures(s)));
            }
        }
        return out;
    }
}
