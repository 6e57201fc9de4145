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
}
