package io.pgresilience.targets;

import io.pgresilience.config.GatewayTimeouts;

import io.pgresilience.config.Settings;
import io.pgresilience.support.LabException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A gateway someone else runs, at a URL, with a token and a profile. The suite controls neither it nor its database,
 * so every fault scenario is skipped with that reason; what it does check is that the gateway answers and accepts
 * the token, so that a wrong URL or token is one clear error, not a page of skipped scenarios.
 */
public final class ExternalTarget implements GatewayTarget {

    private final Settings settings;
    private final String url;
    private final String token;
    private final GatewayProfile profile;

    public ExternalTarget(Settings settings) {
        this.settings = settings;
        this.url = stripSlash(settings.text("gateway.url"));
        this.token = settings.text("gateway.token");
        this.profile = GatewayProfile.named(settings.text("gateway.profile"));
        if (url.isBlank()) {
            throw new LabException("-Dtarget=external needs -Dgateway.url=http://host:port (and -Dgateway.token, -Dgateway.profile)");
        }
        verify();
    }

    /** One call with the token: unreachable, or 401/403, is a clear error before any scenario runs. */
    private void verify() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(URI.create(url + profile.serversPath())).timeout(Duration.ofSeconds(10))
                    .header("Authorization", "Bearer " + token).GET().build();
        } catch (IllegalArgumentException e) {
            throw new LabException("-Dgateway.url is not a URL: " + url);
        }
        int status;
        try {
            status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new LabException("the external gateway at " + url + " is not reachable: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while calling " + url);
        }
        if (status == 401 || status == 403) {
            throw new LabException("the external gateway at " + url + " refused the token (" + status + " at the first call): "
                    + "check -Dgateway.token");
        }
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    @Override
    public String name() {
        return "external";
    }

    @Override
    public String version() {
        return "unknown";
    }

    @Override
    public GatewayProfile profile() {
        return profile;
    }

    @Override
    public String baseUrl() {
        return url;
    }

    @Override
    public String token() {
        return token;
    }

    @Override
    public Set<Capability> capabilities() {
        return profile.capabilities();
    }

    @Override
    public String databaseRole() {
        return null;
    }

    @Override
    public Topology topology() {
        return Topology.SINGLE_HOST;
    }

    @Override
    public Topology defaultTopology() {
        return Topology.SINGLE_HOST;
    }

    @Override
    public boolean supports(Topology t) {
        return false;
    }

    @Override
    public void prepare(Topology topology) {
        // nothing to prepare: the suite does not run this gateway
    }

    @Override
    public void restart() {
        throw new UnsupportedOperationException("the suite does not run an external gateway");
    }

    @Override
    public int poolIdleSize() {
        return 1;
    }

    @Override
    public int poolMaxSize() {
        return settings.integer("gateway.pool.max");
    }

    /** What the team running the gateway says of it (the {@code gateway.*} settings). */
    @Override
    public GatewayTimeouts timeouts() {
        return GatewayTimeouts.configured(settings);
    }

    @Override
    public GatewayLog log() {
        return new GatewayLog(Path.of("reports", "logs", "external-gateway.log"));
    }

    @Override
    public Map<String, String> describe() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("gateway", "external gateway at " + url + " (profile " + profile.name() + ")");
        d.put("database URL", "unknown: not run by the suite");
        return d;
    }

    @Override
    public void close() {
        // not ours to stop
    }
}
