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

/** One executed scenario as Cucumber's JSON report records it: its feature, name, tags and overall status. */
public record ScenarioResult(String feature, String name, List<String> tags, String status, String firstError) {

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
                out.add(new ScenarioResult(f.path("name").asText(), s.path("name").asText(), tags, status, readable(error)));
            }
        }
        return out;
    }
}
