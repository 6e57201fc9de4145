package io.pgresilience.targets;

import io.pgresilience.evidence.Operation;
import io.restassured.response.Response;
import io.restassured.response.ValidatableResponse;

/** One answer of the gateway (or none: status 0), with the operation the history recorded for it. */
public record Reply(int status, String body, String errorCode, long latencyMs, Operation operation, Response response) {

    public boolean answered() {
        return status != 0;
    }

    /** REST Assured's fluent checks on the answer. */
    public ValidatableResponse then() {
        if (response == null) {
            throw new AssertionError("the gateway gave no answer: " + body);
        }
        return response.then();
    }

    public String header(String name) {
        return response == null ? null : response.getHeader(name);
    }

    @Override
    public String toString() {
        return summary();
    }

    /** Status and the start of the body, for messages and the conformance table. */
    public String summary() {
        String b = body == null ? "" : body.replaceAll("\\s+", " ");
        return (status == 0 ? "no answer" : Integer.toString(status)) + " " + (b.length() > 160 ? b.substring(0, 160) + "…" : b)
                + " after " + latencyMs + " ms";
    }
}
