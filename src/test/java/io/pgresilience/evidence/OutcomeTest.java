package io.pgresilience.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Jepsen's rule: only an answer, or certainty that the request never left, makes an outcome known. */
class OutcomeTest {

    @Test
    void anAnswerDecides() {
        assertThat(Outcome.of(201, null)).isEqualTo(Outcome.OK);
        assertThat(Outcome.of(503, "database_unavailable")).isEqualTo(Outcome.FAIL);
        assertThat(Outcome.of(503, "commit_outcome_unknown")).isEqualTo(Outcome.UNKNOWN);
    }

    @Test
    void noAnswerIsUnknownUnlessTheConnectionWasRefused() {
        assertThat(Outcome.of(0, "SocketTimeoutException: Read timed out")).isEqualTo(Outcome.UNKNOWN);
        assertThat(Outcome.of(0, "NoHttpResponseException: 127.0.0.1:45027 failed to respond")).isEqualTo(Outcome.UNKNOWN);
        assertThat(Outcome.of(0, "ConnectException: Connection refused")).isEqualTo(Outcome.FAIL);
        assertThat(Outcome.of(0, "HttpHostConnectException: Connect to 127.0.0.1:1 [/127.0.0.1] failed: Connection refused"))
                .isEqualTo(Outcome.FAIL);
    }
}
