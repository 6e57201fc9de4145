package io.pgresilience.targets;

import io.pgresilience.evidence.Outcome;

import io.pgresilience.support.LabException;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shape of a gateway's HTTP API (paths, body envelopes, how health is asked, what it offers) and, for
 * {@code -Dtarget=command}, how the suite runs it (its database URL's form, its environment, its token, its pool and
 * timeouts). The features and steps are the same for every gateway; only the profile differs (SPEC §6). Profiles are
 * data: {@code src/test/resources/profiles/NAME.properties}, or any file given by {@code -Dgateway.profile=PATH};
 * every key is described in README.md ("Test your own gateway"). A profile is validated when it is loaded: each
 * mistake is one line of the error.
 */
public record GatewayProfile(
        String name,
        String description,
        String source,
        String readinessPath,
        String livenessPath,
        String serversPath,
        String toolsPath,
        String serverEnvelope,
        String toolEnvelope,
        Map<String, String> toolFields,
        String serverWithTools,
        String toolIdsField,
        String bulkUpdatePath,
        String poolStatsPath,
        String serversTable,
        String toolsTable,
        Map<String, String> listQuery,
        String serverToolsTable,
        Set<Capability> capabilities,
        String outcomeUnknownCode,
        String tokenSigningSecret,
        Launch launch) {

    /** How the suite runs the gateway under {@code -Dtarget=command}; absent from a profile that only describes an API. */
    public record Launch(
            String urlForm,
            String sqlalchemyDriver,
            boolean multiHost,
            String urlQuery,
            boolean credentialsInUrl,
            Map<String, String> environment,
            String tokenMode,
            String tokenCommand,
            String poolIdleSize,
            String poolMaxSize,
            String poolTimeoutMs,
            String connectTimeoutMs,
            String socketTimeoutMs,
            String statementTimeoutMs,
            String command,
            String commandPrepare) {
    }

    /** The description of every server the suite creates: stored verbatim, the contract check reads it back. */
    public static final String SERVER_DESCRIPTION = "created by pg-resilience";

    /** Where the shipped profiles live on the classpath. */
    static final String RESOURCE_DIR = "profiles/";

    public static final List<String> URL_FORMS = List.of("jdbc", "libpq", "sqlalchemy");
    public static final List<String> TOKEN_MODES = List.of("generated", "static", "command");
    public static final List<String> SERVER_WITH_TOOLS_FORMS = List.of("inline", "tool-ids");
    /** What a value may refer to as {@code ${...}} (besides {@code setting:KEY} and {@code secret:NAME}). */
    public static final List<String> PLACEHOLDERS = List.of("host", "port", "token", "suite.pid", "command.dir",
            "database.url", "database.host", "database.port", "database.hosts", "database.name", "database.user",
            "database.password", "pool.min-idle", "pool.max", "pool.overflow", "pool.timeout-ms", "pool.timeout-s", "pooler",
            "profile.dir");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");
    private static final Pattern PATH = Pattern.compile("/[A-Za-z0-9._~/-]*");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern TABLE = Pattern.compile("[a-z_][a-z0-9_]*");

    /** Every key a profile may have (env.NAME keys aside), whether it is required, and what it holds. */
    public static final Map<String, String> KEYS = keys();

    private static Map<String, String> keys() {
        Map<String, String> k = new LinkedHashMap<>();
        k.put("name", "required");
        k.put("description", "optional");
        k.put("path.readiness", "required");
        k.put("path.liveness", "required");
        k.put("path.servers", "required");
        k.put("path.tools", "required");
        k.put("path.bulk-update", "with BULK_UPDATE");
        k.put("path.pool-stats", "with POOL_STATS");
        k.put("list.query", "optional");
        k.put("body.server-envelope", "optional");
        k.put("body.tool-envelope", "optional");
        k.put("body.tool-fields", "optional");
        k.put("body.server-with-tools", "with SERVER_WITH_TOOLS");
        k.put("body.tool-ids-field", "with body.server-with-tools=tool-ids");
        k.put("table.servers", "required");
        k.put("table.tools", "required");
        k.put("table.server-tools", "optional");
        k.put("capabilities", "required");
        k.put("error.outcome-unknown-code", "optional");
        k.put("token.signing-secret", "optional");
        k.put("database.url", "-Dtarget=command");
        k.put("database.hosts", "-Dtarget=command");
        k.put("database.url-query", "optional");
        k.put("database.url-credentials", "optional");
        k.put("database.sqlalchemy-driver", "with database.url=sqlalchemy");
        k.put("auth.token", "-Dtarget=command");
        k.put("auth.token-command", "with auth.token=command");
        k.put("pool.idle-size", "-Dtarget=command");
        k.put("pool.max-size", "-Dtarget=command");
        k.put("timeout.pool-ms", "-Dtarget=command");
        k.put("timeout.connect-ms", "optional");
        k.put("timeout.socket-ms", "optional");
        k.put("timeout.statement-ms", "optional");
        k.put("command", "optional");
        k.put("command.prepare", "optional");
        return Collections.unmodifiableMap(k);
    }

    /** A profile that cannot be used: every mistake is one line. */
    public static final class ProfileException extends LabException {
        private final List<String> mistakes;

        ProfileException(String source, List<String> mistakes) {
            super(mistakes.stream().map(m -> "gateway profile " + source + ": " + m)
                    .reduce((a, b) -> a + "\npg-resilience: " + b).orElse("gateway profile " + source + ": invalid"));
            this.mistakes = List.copyOf(mistakes);
        }

        public List<String> mistakes() {
            return mistakes;
        }
    }

    public static final GatewayProfile REFERENCE = named("reference");

    /** ContextForge 1.x: lists are paged (50) unless limit=0; a server's tools are rows of server_tool_association. */
    public static final GatewayProfile CONTEXTFORGE = named("contextforge");

    /**
     * A shipped profile by name ({@code reference}, {@code contextforge}, or any file in {@code profiles/} on the
     * classpath), or a profile file by its path.
     */
    public static GatewayProfile named(String nameOrPath) {
        String n = nameOrPath.strip();
        if (NAME.matcher(n).matches() && !n.endsWith(".properties")) {
            String resource = RESOURCE_DIR + n + ".properties";
            try (InputStream in = GatewayProfile.class.getClassLoader().getResourceAsStream(resource)) {
                if (in != null) {
                    return parse(resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                throw new LabException("cannot read " + resource + ": " + e.getMessage(), e);
            }
            if (!Files.exists(Path.of(n))) {
                throw new LabException("unknown gateway profile '" + n + "' (known: " + String.join(", ", shipped())
                        + "; or the path of a profile file)");
            }
        }
        Path file = Path.of(n);
        if (!Files.isRegularFile(file)) {
            throw new LabException("gateway profile file " + file.toAbsolutePath() + " does not exist");
        }
        try {
            return parse(file.toAbsolutePath().toString(), Files.readString(file));
        } catch (IOException e) {
            throw new LabException("cannot read gateway profile " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    /** The shipped profiles' names. */
    static List<String> shipped() {
        return List.of("reference", "contextforge");
    }

    /** Reads and validates a profile; every mistake found is one line of the {@link ProfileException}. */
    public static GatewayProfile parse(String source, String text) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IOException | IllegalArgumentException e) {
            throw new ProfileException(source, List.of("not a properties file: " + e.getMessage()));
        }
        Map<String, String> v = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> v.put(k, p.getProperty(k).strip()));
        List<String> mistakes = new ArrayList<>();
        for (String key : v.keySet()) {
            if (key.startsWith("env.")) {
                if (!ENV_NAME.matcher(key.substring(4)).matches()) {
                    mistakes.add("key '" + key + "': '" + key.substring(4) + "' is not an environment variable name");
                }
            } else if (!KEYS.containsKey(key)) {
                mistakes.add("unknown key '" + key + "'" + nearest(key).map(s -> " (did you mean '" + s + "'?)").orElse(""));
            }
        }
        KEYS.forEach((key, need) -> {
            if (need.equals("required") && !v.containsKey(key)) {
                mistakes.add("missing required key '" + key + "'");
            }
        });
        for (String key : List.of("name")) {
            if (v.containsKey(key) && !NAME.matcher(v.get(key)).matches()) {
                mistakes.add("key 'name': '" + v.get(key) + "' is not a name (letters, digits, . _ -)");
            }
        }
        for (String key : List.of("path.readiness", "path.liveness", "path.servers", "path.tools", "path.bulk-update", "path.pool-stats")) {
            String path = v.get(key);
            if (path != null && !PATH.matcher(path).matches()) {
                mistakes.add("key '" + key + "': '" + path + "' is not a path (it starts with / and has no spaces, query or fragment)");
            }
        }
        if (v.containsKey("token.signing-secret") && !ENV_NAME.matcher(v.get("token.signing-secret")).matches()) {
            mistakes.add("key 'token.signing-secret': '" + v.get("token.signing-secret") + "' is not the name of a ${secret:NAME}");
        }
        if (v.containsKey("error.outcome-unknown-code") && !NAME.matcher(v.get("error.outcome-unknown-code")).matches()) {
            mistakes.add("key 'error.outcome-unknown-code': '" + v.get("error.outcome-unknown-code")
                    + "' is not an error code (letters, digits, . _ -)");
        }
        for (String key : List.of("table.servers", "table.tools", "table.server-tools")) {
            String t = v.get(key);
            if (t != null && !TABLE.matcher(t).matches()) {
                mistakes.add("key '" + key + "': '" + t + "' is not a table name (lower case letters, digits, _)");
            }
        }
        Set<Capability> capabilities = EnumSet.noneOf(Capability.class);
        for (String c : v.getOrDefault("capabilities", "").split("[,\\s]+")) {
            if (c.isBlank()) {
                continue;
            }
            Optional<Capability> cap = Arrays.stream(Capability.values()).filter(x -> x.name().equals(c.strip())).findFirst();
            if (cap.isEmpty()) {
                mistakes.add("key 'capabilities': unknown capability '" + c.strip() + "' (known: " + profileCapabilities() + ")");
            } else if (!cap.get().declaredByProfile()) {
                mistakes.add("key 'capabilities': " + c.strip() + " is not declared by a profile, the target decides it (known: "
                        + profileCapabilities() + ")");
            } else {
                capabilities.add(cap.get());
            }
        }
        requireWith(v, mistakes, capabilities.contains(Capability.BULK_UPDATE), "path.bulk-update", "capability BULK_UPDATE");
        requireWith(v, mistakes, capabilities.contains(Capability.POOL_STATS), "path.pool-stats", "capability POOL_STATS");
        requireWith(v, mistakes, capabilities.contains(Capability.SERVER_WITH_TOOLS), "body.server-with-tools", "capability SERVER_WITH_TOOLS");
        oneOf(v, mistakes, "body.server-with-tools", SERVER_WITH_TOOLS_FORMS);
        requireWith(v, mistakes, "tool-ids".equals(v.get("body.server-with-tools")), "body.tool-ids-field", "body.server-with-tools=tool-ids");
        Map<String, String> toolFields = pairs(v, mistakes, "body.tool-fields");
        Map<String, String> listQuery = pairs(v, mistakes, "list.query");
        Launch launch = launch(v, mistakes);
        if (!mistakes.isEmpty()) {
            throw new ProfileException(source, mistakes);
        }
        return new GatewayProfile(v.get("name"), v.getOrDefault("description", v.get("name")), source,
                v.get("path.readiness"), v.get("path.liveness"), v.get("path.servers"), v.get("path.tools"),
                blankToNull(v.get("body.server-envelope")), blankToNull(v.get("body.tool-envelope")), toolFields,
                v.getOrDefault("body.server-with-tools", "inline"), blankToNull(v.get("body.tool-ids-field")),
                blankToNull(v.get("path.bulk-update")), blankToNull(v.get("path.pool-stats")), v.get("table.servers"),
                v.get("table.tools"), listQuery, v.getOrDefault("table.server-tools", v.get("table.tools")),
                Collections.unmodifiableSet(capabilities), v.getOrDefault("error.outcome-unknown-code", Outcome.UNKNOWN_CODE),
                blankToNull(v.get("token.signing-secret")), launch);
    }

    /** The part for -Dtarget=command: validated when any of it is there; null when none of it is. */
    private static Launch launch(Map<String, String> v, List<String> mistakes) {
        boolean any = v.keySet().stream().anyMatch(k -> k.startsWith("env.") || k.startsWith("database.") || k.startsWith("auth.")
                || k.startsWith("pool.") || k.startsWith("timeout.") || k.startsWith("command"));
        if (!any) {
            return null;
        }
        for (String key : List.of("database.url", "database.hosts", "auth.token", "pool.idle-size", "pool.max-size", "timeout.pool-ms")) {
            if (!v.containsKey(key)) {
                mistakes.add("missing key '" + key + "' (needed to run the gateway with -Dtarget=command)");
            }
        }
        oneOf(v, mistakes, "database.url", URL_FORMS);
        oneOf(v, mistakes, "database.hosts", List.of("single", "multi"));
        oneOf(v, mistakes, "database.url-credentials", List.of("true", "false"));
        oneOf(v, mistakes, "auth.token", TOKEN_MODES);
        requireWith(v, mistakes, "command".equals(v.get("auth.token")), "auth.token-command", "auth.token=command");
        if (v.containsKey("database.sqlalchemy-driver") && !"sqlalchemy".equals(v.get("database.url"))) {
            mistakes.add("key 'database.sqlalchemy-driver' is only for database.url=sqlalchemy");
        }
        if (v.containsKey("database.url-query") && v.get("database.url-query").startsWith("?")) {
            mistakes.add("key 'database.url-query': write it without the leading '?'");
        }
        Map<String, String> env = new LinkedHashMap<>();
        v.forEach((k, val) -> {
            if (k.startsWith("env.")) {
                env.put(k.substring(4), val);
            }
        });
        if (!env.containsValue("${port}") && env.values().stream().noneMatch(x -> x.contains("${port}"))) {
            mistakes.add("no env.NAME=${port}: the gateway must be told the port the suite chose for it");
        }
        v.forEach((k, val) -> {
            if (k.startsWith("env.") || k.startsWith("pool.") || k.startsWith("timeout.") || k.equals("auth.token-command")
                    || k.startsWith("command")) {
                Matcher m = PLACEHOLDER.matcher(val);
                while (m.find()) {
                    String ph = m.group(1);
                    boolean ok = PLACEHOLDERS.contains(ph) || (ph.startsWith("setting:") && ph.length() > 8)
                            || (ph.startsWith("secret:") && ENV_NAME.matcher(ph.substring(7)).matches());
                    if (!ok) {
                        mistakes.add("key '" + k + "': unknown placeholder ${" + ph + "} (known: " + String.join(", ", PLACEHOLDERS)
                                + ", setting:KEY, secret:NAME)");
                    }
                }
            }
        });
        return new Launch(v.get("database.url"), v.getOrDefault("database.sqlalchemy-driver", "psycopg"),
                "multi".equals(v.get("database.hosts")), v.getOrDefault("database.url-query", ""),
                !"false".equals(v.getOrDefault("database.url-credentials", "true")), Collections.unmodifiableMap(env),
                v.get("auth.token"), v.get("auth.token-command"), v.get("pool.idle-size"), v.get("pool.max-size"),
                v.get("timeout.pool-ms"), blankToNull(v.get("timeout.connect-ms")), blankToNull(v.get("timeout.socket-ms")),
                blankToNull(v.get("timeout.statement-ms")), blankToNull(v.get("command")),
                blankToNull(v.get("command.prepare")));
    }

    private static void requireWith(Map<String, String> v, List<String> mistakes, boolean when, String key, String because) {
        if (when && (!v.containsKey(key) || v.get(key).isBlank())) {
            mistakes.add("missing key '" + key + "' (needed with " + because + ")");
        }
    }

    private static void oneOf(Map<String, String> v, List<String> mistakes, String key, List<String> allowed) {
        if (v.containsKey(key) && !allowed.contains(v.get(key))) {
            mistakes.add("key '" + key + "': '" + v.get(key) + "' is not one of " + String.join(", ", allowed));
        }
    }

    /** {@code a=1&b=2} or {@code a=1,b=2} into a map; a part without '=' is a mistake. */
    private static Map<String, String> pairs(Map<String, String> v, List<String> mistakes, String key) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String part : v.getOrDefault(key, "").split("[&,]")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq <= 0) {
                mistakes.add("key '" + key + "': '" + part.strip() + "' is not name=value");
            } else {
                out.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
            }
        }
        return Collections.unmodifiableMap(out);
    }

    private static Optional<String> nearest(String key) {
        String tail = key.contains(".") ? key.substring(key.lastIndexOf('.') + 1) : key;
        return KEYS.keySet().stream().filter(k -> k.endsWith("." + tail) || k.equals(tail) || k.replace('-', '_').equals(key)
                || k.replace("-", "").equals(key.replace("-", "").replace("_", ""))).findFirst();
    }

    private static String profileCapabilities() {
        return String.join(", ", Arrays.stream(Capability.values()).filter(Capability::declaredByProfile).map(Enum::name).toList());
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** Where a run can find the profile again: a shipped one by name, else its file. */
    /** The directory of a profile file (${profile.dir}); none for a shipped profile. */
    public Optional<Path> directory() {
        return source.startsWith(RESOURCE_DIR) ? Optional.empty() : Optional.ofNullable(Path.of(source).getParent());
    }

    public String describeSource() {
        return source.startsWith(RESOURCE_DIR) ? "src/test/resources/" + source : source;
    }

    public Object serverBody(String serverName, List<String> toolNames) {
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("name", serverName);
        server.put("description", SERVER_DESCRIPTION);
        if (!toolNames.isEmpty()) {
            server.put("tools", toolNames.stream().map(t -> Map.of("name", t, "url", "https://example.com/" + t)).toList());
        }
        return serverEnvelope == null ? server : Map.of(serverEnvelope, server);
    }

    /** A way to write a server with its tools in one call: the tools exist, the server names their ids (ContextForge). */
    public Object serverWithToolIdsBody(String serverName, List<String> toolIds) {
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("name", serverName);
        server.put("description", SERVER_DESCRIPTION);
        server.put(toolIdsField == null ? "associated_tools" : toolIdsField, toolIds);
        return serverEnvelope == null ? server : Map.of(serverEnvelope, server);
    }

    /** Whether a server and its tools are written by naming the ids of tools created first (else: inline). */
    public boolean writesToolsByIds() {
        return "tool-ids".equals(serverWithTools);
    }

    public Object toolBody(String toolName) {
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("name", toolName);
        tool.put("url", "https://example.com/" + toolName);
        tool.putAll(toolFields);
        return toolEnvelope == null ? tool : Map.of(toolEnvelope, tool);
    }

    public Object bulkUpdateBody(List<String> serverNames, String description) {
        return Map.of("updates", serverNames.stream().map(n -> Map.of("name", n, "description", description)).toList());
    }
}
