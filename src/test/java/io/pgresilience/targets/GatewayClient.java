package io.pgresilience.targets;

import static io.restassured.RestAssured.given;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgresilience.evidence.History;
import org.apache.http.impl.client.DefaultHttpClient;
import org.apache.http.impl.client.DefaultHttpRequestRetryHandler;
import org.apache.http.impl.client.SystemDefaultHttpClient;
import io.pgresilience.evidence.Operation;
import io.restassured.config.HttpClientConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.http.ContentType;
import io.restassured.http.Method;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The suite's only way to talk to the gateway: REST Assured over the target's profile. Every call is recorded
 * in the scenario's history with its timing and outcome; none is ever logged with its token.
 */
public final class GatewayClient {

    /** Where a failure's error code is read: the first of these JSON fields present in the body. */
    public static final List<String> ERROR_FIELDS = List.of("error", "detail");
    /** Where a failure's message is read: the first of these JSON fields present in the body. */
    public static final List<String> MESSAGE_FIELDS = List.of("message", "detail");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final GatewayTarget target;
    private final History history;
    private final RestAssuredConfig config;

    public GatewayClient(GatewayTarget target, History history, Duration timeout) {
        this.target = target;
        this.history = history;
        history.outcomeUnknownCode(target.profile().outcomeUnknownCode());
        int ms = (int) timeout.toMillis();
        // No retries by the HTTP client: a request it repeated behind the suite's back would hide an outcome.
        this.config = RestAssuredConfig.config().httpClient(HttpClientConfig.httpClientConfig()
                .httpClientFactory(() -> {
                    DefaultHttpClient client = new SystemDefaultHttpClient();
                    client.setHttpRequestRetryHandler(new DefaultHttpRequestRetryHandler(0, false));
                    return client;
                })
                .setParam("http.connection.timeout", ms)
                .setParam("http.socket.timeout", ms));
    }

    public GatewayTarget target() {
        return target;
    }

    public Reply readiness() {
        return call("readiness", null, Method.GET, target.profile().readinessPath(), null, Map.of(), false);
    }

    public Reply liveness() {
        return call("liveness", null, Method.GET, target.profile().livenessPath(), null, Map.of(), false);
    }

    public Reply poolStats() {
        return call("pool", null, Method.GET, target.profile().poolStatsPath(), null, Map.of(), false);
    }

    public Reply listServers() {
        return call("read", null, Method.GET, target.profile().serversPath(), null, target.profile().listQuery(), true);
    }

    /** Reads one server back by name: with the name filter where the gateway has one, else from the whole list. */
    public Reply findServer(String name) {
        Map<String, String> query = target.has(Capability.NAME_FILTER) ? Map.of("name", name) : target.profile().listQuery();
        return call("read", name, Method.GET, target.profile().serversPath(), null, query, true);
    }

    public Reply createServer(String name) {
        return createServer(name, List.of());
    }

    public Reply createServer(String name, List<String> tools) {
        return call("write", name, Method.POST, target.profile().serversPath(), target.profile().serverBody(name, tools),
                Map.of(), true);
    }

    /** A server written together with links to existing tools (ContextForge's multi-row write). */
    public Reply createServerWithToolIds(String name, List<String> toolIds) {
        return call("write", name, Method.POST, target.profile().serversPath(),
                target.profile().serverWithToolIdsBody(name, toolIds), Map.of(), true);
    }

    public Reply listTools() {
        return call("read-tools", null, Method.GET, target.profile().toolsPath(), null, target.profile().listQuery(), true);
    }

    public Reply createTool(String name) {
        return call("write-tool", name, Method.POST, target.profile().toolsPath(), target.profile().toolBody(name), Map.of(), true);
    }

    public Reply bulkUpdate(List<String> names, String description) {
        return call("update", String.join(",", names), Method.POST, target.profile().bulkUpdatePath(),
                target.profile().bulkUpdateBody(names, description), Map.of(), true);
    }

    /** A POST with a body sent as it is (malformed JSON, for the input checks). */
    public Reply postRaw(String path, String body) {
        History.Pending start = history.begin("write-raw", path);
        try {
            Response r = given().config(config).baseUri(target.baseUrl()).header("Authorization", "Bearer " + target.token())
                    .contentType(ContentType.JSON).body(body).request(Method.POST, path);
            return reply(start, r, null);
        } catch (Exception e) { // REST Assured rethrows checked I/O exceptions undeclared
            return noAnswer(start, e);
        }
    }

    /** A call with a chosen Authorization header (null: none), for the auth checks. */
    public Reply withAuthorization(String authorization, String path) {
        History.Pending start = history.begin("auth", path);
        try {
            RequestSpecification spec = given().config(config).baseUri(target.baseUrl());
            if (authorization != null) {
                spec = spec.header("Authorization", authorization);
            }
            Response r = spec.request(Method.GET, path);
            return reply(start, r, null);
        } catch (Exception e) { // REST Assured rethrows checked I/O exceptions undeclared
            return noAnswer(start, e);
        }
    }

    private Reply call(String kind, String key, Method method, String path, Object body, Map<String, String> query,
                       boolean authenticated) {
        History.Pending start = history.begin(kind, key);
        try {
            RequestSpecification spec = given().config(config).baseUri(target.baseUrl()).queryParams(query);
            if (authenticated) {
                spec = spec.header("Authorization", "Bearer " + target.token());
            }
            if (body != null) {
                spec = spec.contentType(ContentType.JSON).body(body);
            }
            Response r = spec.request(method, path);
            return reply(start, r, kind.equals("read") ? key : null);
        } catch (Exception e) { // REST Assured rethrows checked I/O exceptions (connection refused) undeclared
            return noAnswer(start, e);
        }
    }

    /**
     * The answer is timed the moment it is in; its body is read after that, once, with Jackson. (REST Assured's
     * JsonPath compiles a Groovy script per lookup: about 15 ms of CPU each, 2 s for the first in a JVM, and under the
     * load of parallel labs that time landed in the measured latency of every failed answer.)
     */
    private Reply reply(History.Pending start, Response r, String readKey) {
        long end = history.now();
        String body = r.asString();
        int status = r.statusCode();
        JsonNode json = status >= 400 || readKey != null ? parse(body) : null; // only what is read below
        String error = status < 400 ? null : field(json, ERROR_FIELDS);
        String message = status < 400 ? null : field(json, MESSAGE_FIELDS);
        String detail = readKey == null ? null : found(status, json, readKey);
        Operation op = history.record(start, end, status, error, message, r.getHeader("Retry-After") != null, detail);
        return new Reply(status, body, error, op.latencyMs(), op, r);
    }

    private Reply noAnswer(History.Pending start, Exception e) {
        String why = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        Operation op = history.record(start, 0, why, null, false, null);
        return new Reply(0, why, why, op.latencyMs(), op, null);
    }

    /** Whether a server list (or filtered list) answer contains the name. */
    static String found(int status, JsonNode json, String name) {
        if (status != 200) {
            return null;
        }
        if (json == null) {
            return "unreadable";
        }
        if (!json.isArray()) {
            return "missing";
        }
        for (JsonNode item : json) {
            JsonNode n = item.get("name");
            if (n != null && n.isTextual() && n.asText().equals(name)) {
                return "found";
            }
        }
        return "missing";
    }

    /** The first of the fields present (not null) in a JSON object body: a string as it is, anything else as JSON. */
    static String field(JsonNode json, List<String> fields) {
        if (json == null || !json.isObject()) {
            return null;
        }
        for (String f : fields) {
            JsonNode v = json.get(f);
            if (v != null && !v.isNull()) {
                return v.isValueNode() ? v.asText() : v.toString();
            }
        }
        return null;
    }

    static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException | RuntimeException e) {
            return null;
        }
    }
}
