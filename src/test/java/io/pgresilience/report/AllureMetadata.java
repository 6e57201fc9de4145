package io.pgresilience.report;

import io.qameta.allure.Allure;
import io.qameta.allure.AllureLifecycle;
import io.qameta.allure.model.Attachment;
import io.qameta.allure.model.Label;
import io.qameta.allure.model.Link;
import java.io.ByteArrayInputStream;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * What the living-documentation site needs on each test result beyond what Allure's Cucumber plugin records: the
 * user story as the epic, the kind of scenario as the feature, the link to the source plan, and the evidence as
 * attachments of the test itself (not of its tear-down). Does nothing when Allure is not listening.
 */
public final class AllureMetadata {

    public static final String PLAN_URL = "https://github.com/IBM/mcp-context-forge/issues/2466";

    /** The stories of the plan, by tag; "data-integrity" holds the transaction cases, which have no story there. */
    public static final Map<String, String> STORIES = Map.of(
            "US-1", "US-1 Platform Operator: database connection loss",
            "US-2", "US-2 Database Administrator: connection pool",
            "US-3", "US-3 SRE: failover",
            "data-integrity", "Transaction safety (data integrity)");

    private AllureMetadata() {
    }

    /** Called at the start of a scenario with its Cucumber tags (with their '@'). */
    public static void describe(Collection<String> tags) {
        AllureLifecycle lifecycle = Allure.getLifecycle();
        Optional<String> testCase = lifecycle.getCurrentTestCase();
        if (testCase.isEmpty()) {
            return;
        }
        String story = tags.stream().map(t -> t.substring(1)).filter(STORIES::containsKey).findFirst().orElse(null);
        String caseId = tags.stream().map(t -> t.substring(1)).filter(t -> t.matches("(CL|CP|FO|TX)-\\d\\d")).findFirst()
                .orElse(null);
        lifecycle.updateTestCase(testCase.get(), result -> {
            result.getLabels().removeIf(l -> l.getName().equals("feature") || l.getName().equals("epic"));
            if (story != null) {
                result.getLabels().add(new Label().setName("epic").setValue(STORIES.get(story)));
            }
            result.getLabels().add(new Label().setName("feature").setValue(tags.contains("@story")
                    ? "Acceptance criteria (the plan's words)" : "Test cases"));
            if (caseId != null) {
                result.getLabels().add(new Label().setName("testId").setValue(caseId));
            }
            result.getLinks().add(new Link().setName("Test plan: ContextForge #2466" + (caseId == null ? "" : " (" + caseId + ")"))
                    .setUrl(PLAN_URL).setType("link"));
        });
    }

    /** Attaches to the test result itself, so that the evidence shows with the scenario and not in its tear-down. */
    public static void attach(String name, String mimeType, String extension, byte[] content) {
        AllureLifecycle lifecycle = Allure.getLifecycle();
        Optional<String> testCase = lifecycle.getCurrentTestCase();
        if (testCase.isEmpty()) {
            return;
        }
        String source = UUID.randomUUID() + "-attachment." + extension;
        lifecycle.writeAttachment(source, new ByteArrayInputStream(content));
        lifecycle.updateTestCase(testCase.get(), result -> result.getAttachments()
                .add(new Attachment().setName(name).setType(mimeType).setSource(source)));
    }
}
