package io.pgresilience.targets;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgresilience.evidence.Operation;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
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

    /**
     * A field of a JSON object answer, as text (a number as its digits); an AssertionError naming the answer when the
     * body is not a JSON object or lacks the field. Read with Jackson: REST Assured's JsonPath compiles a Groovy script
     * per lookup.
     */
    public String text(String field) {
        JsonNode json = GatewayClient.parse(body);
        JsonNode v = json == null || !json.isObject() ? null : json.get(field);
        if (v == null || v.isNull() || !v.isValueNode()) {
            throw new AssertionError("the answer has no field '" + field + "': " + summary());
        }
        return v.asText();
    }

    /** A whole-number field of a JSON object answer; an AssertionError when the body lacks it or it is not a number. */
    public int integer(String field) {
        JsonNode json = GatewayClient.parse(body);
        JsonNode v = json == null || !json.isObject() ? null : json.get(field);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new AssertionError("the answer has no whole number '" + field + "': " + summary());
        }
        return v.asInt();
    }

    /** The field of every object of a JSON array answer; an AssertionError when the body is not such an array. */
    public List<String> each(String field) {
        JsonNode json = GatewayClient.parse(body);
        if (json == null || !json.isArray()) {
            throw new AssertionError("the answer is not a JSON array: " + summary());
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : json) {
            JsonNode v = item.get(field);
            out.add(v == null || v.isNull() ? null : v.asText());
        }
        return out;
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
