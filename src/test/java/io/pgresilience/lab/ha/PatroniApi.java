package io.pgresilience.lab.ha;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgresilience.support.LabException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Patroni's REST API on one node: health endpoints, /cluster, /config, /switchover, /restart, /reinitialize. */
final class PatroniApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final String base;
    private final Duration timeout;

    PatroniApi(int port, Duration timeout) {
        this.base = "http://127.0.0.1:" + port;
        this.timeout = timeout;
    }

    String base() {
        return base;
    }

    /** The status of a GET (e.g. /primary: 200 on the leader whose PostgreSQL runs), 0 when it does not answer. */
    int status(String path) {
        try {
            return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(2)).GET().build()).statusCode();
        } catch (LabException e) {
            return 0;
        }
    }

    JsonNode get(String path) {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(2)).GET().build());
        return parse(r, "GET " + path);
    }

    /** PATCH /config with a JSON object: Patroni's dynamic configuration (pause, synchronous_mode, …). */
    JsonNode patchConfig(String json) {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/config")).timeout(timeout)
                .header("Content-Type", "application/json").method("PATCH", HttpRequest.BodyPublishers.ofString(json)).build());
        if (r.statusCode() != 200) {
            throw new LabException("Patroni PATCH /config " + json + " answered " + r.statusCode() + ": " + r.body().strip());
        }
        return parse(r, "PATCH /config");
    }

    /** A POST that Patroni answers when done (switchover, restart, reinitialize); its answer, or one line on failure. */
    String post(String path, String json) {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build());
        if (r.statusCode() / 100 != 2) {
            throw new LabException("Patroni POST " + path + " " + json + " answered " + r.statusCode() + ": " + r.body().strip());
        }
        return r.body().strip();
    }

    private static JsonNode parse(HttpResponse<String> r, String what) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new LabException("Patroni " + what + " answered " + r.statusCode() + " with no JSON: " + r.body(), e);
        }
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new LabException("Patroni at " + base + " does not answer: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while calling Patroni at " + base);
        }
    }
}
