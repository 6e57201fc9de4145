package io.pgresilience.report;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Failure lines on the site say what was expected and what the gateway did, without exception boilerplate. */
class ScenarioResultTest {

    @Test
    void aMissedDeadlineReadsAsWhatWasExpectedAndTheLastAnswer() {
        String raw = "org.awaitility.core.ConditionTimeoutException: Condition with alias 'an API request answered 503 with a "
                + "database error' didn't complete within 10 seconds because lambda expression in io.pgresilience.steps.GatewaySteps "
                + "expected the predicate to return <true> but it returned <false> for input of <401 {\"detail\":\"Token validation "
                + "failed\"} after 5 ms>.";
        assertThat(ScenarioResult.readable(raw)).isEqualTo("an API request answered 503 with a database error: not within "
                + "10 seconds (last answer: 401 {\"detail\":\"Token validation failed\"} after 5 ms)");
    }

    @Test
    void somethingThatNeverHappenedSaysSo() {
        String raw = "org.awaitility.core.ConditionTimeoutException: Condition with alias 'an acknowledged write after the "
                + "promotion' didn't complete within 20 seconds because lambda expression in io.pgresilience.steps.FailoverSteps "
                + "expected the predicate to return <true> but was null.";
        assertThat(ScenarioResult.readable(raw))
                .isEqualTo("an acknowledged write after the promotion: not within 20 seconds (it never happened)");
    }

    @Test
    void anAssertionLosesOnlyItsClassName() {
        assertThat(ScenarioResult.readable("java.lang.AssertionError: the request: 401 {\"detail\":\"x\"} after 3 ms"))
                .isEqualTo("the request: 401 {\"detail\":\"x\"} after 3 ms");
        assertThat(ScenarioResult.readable(null)).isNull();
    }

    @Test
    void theFiguresIncludeTheLongestRequest(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
        String history = "{\"metrics\":{\"faultAtMs\":1000,\"detectMs\":900,\"recoverMs\":13185,\"rtoMs\":null},"
                + "\"verdict\":{\"acknowledged\":12,\"lost\":[]},\"notes\":{},\"operations\":["
                + "{\"startMs\":10,\"endMs\":20},{\"startMs\":1500,\"endMs\":16912},{\"startMs\":2000,\"endMs\":2100}]}";
        String data = java.util.Base64.getEncoder().encodeToString(history.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        java.nio.file.Path json = dir.resolve("cucumber.json");
        java.nio.file.Files.writeString(json, "[{\"name\":\"f\",\"elements\":[{\"type\":\"scenario\",\"name\":\"CP-03 x\","
                + "\"tags\":[],\"steps\":[{\"result\":{\"status\":\"passed\"},\"embeddings\":[{\"name\":\"history.json\","
                + "\"data\":\"" + data + "\"}]}]}]}]");
        ScenarioResult r = ScenarioResult.read(json).get(0);
        assertThat(r.figures()).containsEntry("recover", "13185 ms").containsEntry("detect", "900 ms")
                .containsEntry("longest request", "15412 ms").containsEntry("lost", "0 of 12").doesNotContainKey("RTO");
    }
}
