package io.pgresilience.selfproof;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgresilience.report.ScenarioResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The conformance run's second chance for a recorded failure that did not show, apart from running the suite. */
class ConformanceConfirmTest {

    private static ScenarioResult result(String status, String error) {
        return new ScenarioResult("f", "CP-02 Stale connections", List.of(), status, error, Map.of());
    }

    @Test
    void expectationsAcceptEachOfTheirAlternatives() {
        assertThat(Conformance.accepts("passed or failed", "failed")).isTrue();
        assertThat(Conformance.accepts("skipped or failed", "passed")).isFalse();
        assertThat(Conformance.accepts("failed", "passed")).isFalse();
    }

    @Test
    void aFailureOnARunAgainConfirmsTheRecordedFailureAndStopsThere() {
        List<Integer> tries = new ArrayList<>();
        ScenarioResult r = Conformance.confirmFailure("CP-02 Stale connections", 3, i -> {
            tries.add(i);
            return i < 2 ? result("passed", null) : result("failed", "401 Token validation failed");
        });
        assertThat(tries).containsExactly(1, 2);
        assertThat(r.status()).isEqualTo("failed");
        assertThat(r.firstError()).isEqualTo("passed, then failed when run again alone (try 2 of 3): 401 Token validation failed");
    }

    @Test
    void aScenarioThatPassesEveryTimeStaysPassed() {
        List<Integer> tries = new ArrayList<>();
        ScenarioResult r = Conformance.confirmFailure("CP-02 Stale connections", 3, i -> {
            tries.add(i);
            return result("passed", null);
        });
        assertThat(tries).containsExactly(1, 2, 3);
        assertThat(r.status()).isEqualTo("passed");
        assertThat(r.firstError()).isEqualTo("passed in this run and in 3 more runs of it alone");
    }

    @Test
    void noTriesIsAMistake() {
        assertThatThrownBy(() -> Conformance.confirmFailure("x", 0, i -> result("passed", null)))
                .hasMessageContaining("conformance.confirm-tries must be at least 1");
    }

    @Test
    void columnsNamedAreKeptInTheirOrderAndAnUnknownOneIsRefused() {
        List<String> all = List.of("reference", "contextforge", "contextforge-tuned", "contextforge-compose");
        assertThat(Conformance.only(all, "")).isEqualTo(all);
        assertThat(Conformance.only(all, "contextforge-compose, reference,contextforge"))
                .containsExactly("reference", "contextforge", "contextforge-compose");
        assertThatThrownBy(() -> Conformance.only(all, "reference,contextforge-kernel"))
                .hasMessageContaining("[contextforge-kernel]").hasMessageContaining("-Dconformance.kernel=true");
        assertThatThrownBy(() -> Conformance.only(all, "contextforge")).hasMessageContaining("must name reference");
    }
}
