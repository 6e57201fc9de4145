package io.pgresilience.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gateway's HTTP surface: health, readiness, servers and tools, behind a bearer token. */
public final class HttpApi {

    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_NAME = 255;
    private static final String INSTANCE = java.util.UUID.randomUUID().toString();

    /** A failure that already knows its HTTP answer. */
    private static final class Refusal extends RuntimeException {
        final ApiError error;

        Refusal(ApiError error) {
            super(error.message(), null, false, false);
            this.error = error;
        }
    }

    private final GatewayConfig config;
    private final Database db;
    private final Catalog catalog;
    private final byte[] token;
    private final java.util.concurrent.atomic.AtomicLong readinessFailures = new java.util.concurrent.atomic.AtomicLong();

    public HttpApi(GatewayConfig config, Database db, Catalog catalog) {
        this.config = config;
        this.db = db;
        this.catalog = catalog;
        this.token = config.apiToken().getBytes(StandardCharsets.UTF_8);
    }

    public Javalin create() {
        Javalin app = Javalin.create(javalin -> {
            javalin.showJavalinBanner = false;
            javalin.http.maxRequestSize = 64 * 1024L;
        });
        app.before("/api/*", this::authenticate);
        app.after(ctx -> ctx.header("Server-Timing", String.format(Locale.ROOT, "db;dur=%.1f", Database.takeDbMillis())));

        app.get("/health", ctx -> ctx.json(Map.of("status", "ok")));
        app.get("/health/ready", this::ready);
        app.get("/health/pool", ctx -> ctx.json(db.poolStats()));
        // What the running process itself uses (not what it was meant to be given): an instance id new at every start,
        // its pid and the database hosts its pool connects to.
        app.get("/version", ctx -> ctx.json(Map.of("name", "reference-gateway", "version", ReferenceGateway.VERSION,
                "instance", INSTANCE, "pid", ProcessHandle.current().pid(), "database_hosts", db.hosts())));

        app.get("/api/servers", ctx -> ctx.json(catalog.servers(emptyToNull(ctx.queryParam("name")))));
        app.post("/api/servers", this::createServer);
        app.post("/api/servers/bulk-update", this::bulkUpdate);
        app.get("/api/tools", ctx -> ctx.json(catalog.tools()));
        app.post("/api/tools", this::createTool);

        app.exception(Refusal.class, (e, ctx) -> answer(ctx, e.error, null));
        app.exception(Exception.class, (e, ctx) -> {
            ApiError error = ApiError.of(e, config);
            if (config.has(Defect.HTTP_500_FOR_FAILED_WRITES) && ctx.method() == io.javalin.http.HandlerType.POST
                    && ApiError.noConnection(e)) {
                error = new ApiError(500, "internal_error", "Internal Server Error");
            }
            answer(ctx, error, e);
        });
        app.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty()) {
                ctx.json(Map.of("error", "not_found", "message", "no such endpoint"));
            }
        });
        return app;
    }

    private void authenticate(Context ctx) throws SQLException {
        String header = ctx.header("Authorization");
        String presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
        boolean valid;
        if (config.has(Defect.AUTH_NEEDS_DB)) {
            try {
                valid = !presented.isEmpty() && catalog.tokenKnown(sha256(presented));
            } catch (SQLException e) {
                LOG.warn("token lookup failed: {}", e.getMessage());
                valid = false;
            }
        } else if (config.has(Defect.CASE_INSENSITIVE_TOKEN)) {
            valid = !presented.isEmpty() && presented.equalsIgnoreCase(new String(token, StandardCharsets.UTF_8));
        } else {
            valid = MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), token);
        }
        if (!valid) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new Refusal(new ApiError(401, "unauthorized", "Token validation failed"));
        }
    }

    private void ready(Context ctx) {
        if (config.has(Defect.READY_WITHOUT_DB)) {
            ctx.json(Map.of("status", "ready"));
            return;
        }
        try {
            db.ping();
            ctx.json(Map.of("status", "ready", "database", "ok"));
        } catch (SQLException e) {
            if (config.has(Defect.FLAPPING_READINESS) && readinessFailures.incrementAndGet() % 2 == 0) {
                ctx.json(Map.of("status", "ready", "database", "ok (cached)"));
                return;
            }
            ApiError error = ApiError.of(e, config);
            if (error.status() == 504) {
                error = new ApiError(503, "database_unavailable", error.message());
            }
            answer(ctx, error, e);
        }
    }

    private void createServer(Context ctx) throws SQLException {
        JsonNode body = body(ctx);
        String name = name(body, "name");
        List<Catalog.ToolSpec> tools = new ArrayList<>();
        JsonNode toolNodes = body.path("tools");
        if (!toolNodes.isMissingNode() && !toolNodes.isArray()) {
            throw new Refusal(ApiError.badRequest("'tools' must be an array"));
        }
        for (JsonNode t : toolNodes) {
            tools.add(new Catalog.ToolSpec(name(t, "name"), text(t, "url")));
        }
        try {
            ctx.status(201).json(catalog.createServer(name, text(body, "url"), text(body, "description"), tools));
        } catch (SQLException e) {
            if (config.has(Defect.ACK_FAILED_WRITES) && ApiError.noConnection(e)) {
                ctx.status(201).json(Map.of("name", name, "tools", List.of()));
                return;
            }
            throw e;
        }
    }

    private void createTool(Context ctx) throws SQLException {
        JsonNode body = body(ctx);
        ctx.status(201).json(catalog.createTool(new Catalog.ToolSpec(name(body, "name"), text(body, "url"))));
    }

    private void bulkUpdate(Context ctx) throws SQLException {
        JsonNode updates = body(ctx).path("updates");
        if (!updates.isArray() || updates.isEmpty()) {
            throw new Refusal(ApiError.badRequest("'updates' must be a non-empty array of {name, description}"));
        }
        List<Catalog.DescriptionUpdate> list = new ArrayList<>();
        for (JsonNode u : updates) {
            list.add(new Catalog.DescriptionUpdate(name(u, "name"), text(u, "description")));
        }
        ctx.json(Map.of("updated", catalog.updateDescriptions(list)));
    }

    private void answer(Context ctx, ApiError error, Exception cause) {
        if (error.status() == 503) {
            ctx.header("Retry-After", Integer.toString(config.retryAfterS()));
            if (config.has(Defect.LATE_503) && cause != null && ApiError.unreachable(cause)) {
                try {
                    Thread.sleep(8_000); // the defect: a 503 that comes far later than the pool timeout
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (cause != null) {
            String state = ApiError.sqlState(cause);
            if ("40P01".equals(state) && config.has(Defect.DEADLOCK_UNLOGGED)) {
                LOG.debug("not logged");
            } else if ("40P01".equals(state)) {
                LOG.warn("deadlock detected (SQLSTATE 40P01) on {} {}: {}", ctx.method(), ctx.path(), firstLine(cause));
            } else if (error.status() >= 500 || state != null) {
                LOG.warn("{} {} -> {} {} (SQLSTATE {}): {}", ctx.method(), ctx.path(), error.status(), error.error(),
                        state, firstLine(cause));
            }
            if (error.status() == 500) {
                LOG.error("unexpected failure", cause);
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error.error());
        body.put("message", error.message());
        ctx.status(error.status()).json(body);
    }

    private static JsonNode body(Context ctx) {
        try {
            JsonNode node = JSON.readTree(ctx.body());
            if (node == null || !node.isObject()) {
                throw new Refusal(ApiError.badRequest("the body must be a JSON object"));
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new Refusal(ApiError.badRequest("malformed JSON: " + e.getOriginalMessage()));
        }
    }

    private static String name(JsonNode node, String field) {
        String value = text(node, field);
        if (value == null || value.isBlank()) {
            throw new Refusal(ApiError.badRequest("'" + field + "' is required"));
        }
        if (value.length() > MAX_NAME) {
            throw new Refusal(ApiError.badRequest("'" + field + "' is longer than " + MAX_NAME + " characters"));
        }
        return value;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new Refusal(ApiError.badRequest("'" + field + "' must be a string"));
        }
        return v.asText();
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static String firstLine(Throwable t) {
        String m = String.valueOf(t.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
