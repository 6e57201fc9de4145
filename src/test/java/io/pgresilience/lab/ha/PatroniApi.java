package io.pgresilience.lab.ha;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgresilience.support.LabException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.client.methods.HttpPatch;
import org.apache.http.client.methods.HttpPost;
import org.apache.http.client.methods.HttpRequestBase;
import org.apache.http.entity.ContentType;
import org.apache.http.entity.StringEntity;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.util.EntityUtils;

/**
 * Patroni's REST API on one node: health endpoints, /cluster, /config, /switchover, /restart, /reinitialize. Where the
 * node is a host of its own (kernel faults), the calls leave from the suite's own address, which no fault touches.
 */
final class PatroniApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CloseableHttpClient HTTP = HttpClients.custom().disableAutomaticRetries().build();

    private final String base;
    private final Duration timeout;
    private final InetAddress from;

    PatroniApi(int port, Duration timeout) {
        this("127.0.0.1", port, timeout, null);
    }

    /** @param from the local address the calls leave from (null: the system's choice) */
    PatroniApi(String host, int port, Duration timeout, String from) {
        this.base = "http://" + host + ":" + port;
        this.timeout = timeout;
        try {
            this.from = from == null ? null : InetAddress.getByName(from);
        } catch (UnknownHostException e) {
            throw new LabException("not an address: " + from, e);
        }
    }

    String base() {
        return base;
    }

    private record Answer(int status, String body) {
    }

    /** The status of a GET (e.g. /primary: 200 on the leader whose PostgreSQL runs), 0 when it does not answer. */
    int status(String path) {
        try {
            return send(new HttpGet(base + path), Duration.ofSeconds(2)).status();
        } catch (LabException e) {
            return 0;
        }
    }

    /** The body of a GET that answers 200, null otherwise (not answering included). */
    String text(String path) {
        try {
            Answer r = send(new HttpGet(base + path), Duration.ofSeconds(1));
            return r.status() == 200 ? r.body() : null;
        } catch (LabException e) {
            return null;
        }
    }

    JsonNode get(String path) {
        return parse(send(new HttpGet(base + path), Duration.ofSeconds(2)), "GET " + path);
    }

    /** PATCH /config with a JSON object: Patroni's dynamic configuration (pause, synchronous_mode, …). */
    JsonNode patchConfig(String json) {
        HttpPatch patch = new HttpPatch(base + "/config");
        patch.setEntity(new StringEntity(json, ContentType.APPLICATION_JSON));
        Answer r = send(patch, timeout);
        if (r.status() != 200) {
            throw new LabException("Patroni PATCH /config " + json + " answered " + r.status() + ": " + r.body().strip());
        }
        return parse(r, "PATCH /config");
    }

    /** A POST that Patroni answers when done (switchover, restart, reinitialize); its answer, or one line on failure. */
    String post(String path, String json) {
        HttpPost post = new HttpPost(base + path);
        post.setEntity(new StringEntity(json, ContentType.APPLICATION_JSON));
        Answer r = send(post, timeout);
        if (r.status() / 100 != 2) {
            throw new LabException("Patroni POST " + path + " " + json + " answered " + r.status() + ": " + r.body().strip());
        }
        return r.body().strip();
    }

    private static JsonNode parse(Answer r, String what) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new LabException("Patroni " + what + " answered " + r.status() + " with no JSON: " + r.body(), e);
        }
    }

    private Answer send(HttpRequestBase request, Duration within) {
        request.setConfig(RequestConfig.custom().setConnectTimeout(1000).setConnectionRequestTimeout(1000)
                .setSocketTimeout((int) within.toMillis()).setLocalAddress(from).build());
        try (CloseableHttpResponse r = HTTP.execute(request)) {
            String body = r.getEntity() == null ? "" : EntityUtils.toString(r.getEntity(), StandardCharsets.UTF_8);
            return new Answer(r.getStatusLine().getStatusCode(), body);
        } catch (IOException e) {
            throw new LabException("Patroni at " + base + " does not answer: " + e.getMessage(), e);
        }
    }
}
