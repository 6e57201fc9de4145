package io.pgresilience.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the living-documentation site needs on each Allure test result beyond what Allure's Cucumber plugin records,
 * derived from the scenario's own tags after the run: the user story as the epic, the kind of scenario as the
 * feature, the test-case ID, and the link to the source plan.
 */
public final class AllureMetadata {

    public static final String PLAN_URL = "https://github.com/IBM/mcp-context-forge/issues/2466";

    /** The stories of the plan, by tag; "data-integrity" holds the transaction cases, which have no story there. */
    public static final Map<String, String> STORIES = Map.of(
            "US-1", "US-1 Platform Operator: database connection loss",
            "US-2", "US-2 Database Administrator: connection pool",
            "US-3", "US-3 SRE: failover",
            "data-integrity", "Transaction safety (data integrity)",
            "input-safety", "Input safety (guard rails of the gateway)");

    private AllureMetadata() {
    }

    /** Rewrites the labels and links of one test result (its "tag" labels are the scenario's tags, without '@'). */
    static void describe(ObjectNode result) {
        List<String> tags = new ArrayList<>();
        for (JsonNode l : result.path("labels")) {
            if ("tag".equals(l.path("name").asText())) {
                tags.add(l.path("value").asText());
            }
        }
        String story = tags.stream().filter(STORIES::containsKey).findFirst().orElse(null);
        String caseId = tags.stream().filter(t -> t.matches("(CL|CP|FO|TX)-\\d\\d")).findFirst().orElse(null);
        ArrayNode labels = (ArrayNode) result.withArray("labels");
        for (int i = labels.size() - 1; i >= 0; i--) {
            String name = labels.get(i).path("name").asText();
            if (name.equals("feature") || name.equals("epic") || name.equals("story") || name.equals("testId")) {
                labels.remove(i);
            }
        }
        if (story != null) {
            labels.addObject().put("name", "epic").put("value", STORIES.get(story));
        }
        labels.addObject().put("name", "feature").put("value", tags.contains("story")
                ? "Acceptance criteria (the plan's own words)" : "Test cases");
        labels.addObject().put("name", "story").put("value", result.path("name").asText());
        if (caseId != null) {
            labels.addObject().put("name", "testId").put("value", caseId);
        }
        ArrayNode links = (ArrayNode) result.withArray("links");
        for (int i = links.size() - 1; i >= 0; i--) {
            if (PLAN_URL.equals(links.get(i).path("url").asText())) {
                links.remove(i); // a site built again from the same results links the plan once
            }
        }
        links.addObject()
                .put("name", "Test plan: ContextForge #2466" + (caseId == null ? "" : " (" + caseId + ")"))
                .put("url", PLAN_URL).put("type", "link");
    }
}
