package io.pgresilience.config;

import io.pgresilience.support.LabException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * A deployment as data: the parts between the user and the database (reverse proxy, gateway replicas × workers, cache,
 * pooler, PostgreSQL's server settings), each setting written {@code part.setting=value @ file:line}, citing the product's
 * own deployment files; {@code scale.part.setting=value} where this machine cannot hold the shipped size; {@code lab.}
 * lines where the suite stands in for the deployment's own machinery (a restart of a database that runs in a container
 * keeps it down as long as a container's restart does), citing the line that makes it so. Read from
 * {@code src/test/resources/deployments/NAME.properties} or a file path; bad input (an unknown part or setting, a value
 * without its source, a scale line for a setting the deployment does not set) is one line, before anything starts.
 */
public final class DeploymentSpec {

    /** Each part and the settings it knows (a gateway also takes any {@code env.NAME}). */
    static final Map<String, Set<String>> PARTS = new LinkedHashMap<>();

    static {
        PARTS.put("deployment", Set.of("product"));
        // How the suite makes a fault the way the deployment's own machinery would (the source line says why).
        PARTS.put("lab", Set.of("restart-downtime-ms"));
        PARTS.put("nginx", Set.of("version", "conf", "health.proxy_connect_timeout", "health.proxy_read_timeout",
                "proxy_next_upstream", "proxy_next_upstream_tries", "proxy_next_upstream_timeout", "proxy_connect_timeout",
                "proxy_send_timeout", "proxy_read_timeout", "keepalive_timeout", "client_max_body_size"));
        PARTS.put("gateway", Set.of("replicas", "workers", "worker-class", "timeout", "graceful-timeout", "keep-alive",
                "preload", "control-socket", "restart"));
        PARTS.put("redis", Set.of("version", "maxmemory", "maxmemory-policy", "tcp-backlog", "timeout", "tcp-keepalive",
                "maxclients"));
        // PgBouncer 1.24's settings of its [pgbouncer] section that a deployment may set.
        PARTS.put("pgbouncer", Set.of("version", "listen_port", "pool_mode", "max_client_conn", "default_pool_size",
                "min_pool_size", "reserve_pool_size", "reserve_pool_timeout", "max_db_connections", "max_user_connections",
                "server_lifetime", "server_idle_timeout", "query_wait_timeout", "query_timeout", "client_idle_timeout",
                "client_login_timeout", "server_connect_timeout", "server_login_retry", "server_check_delay",
                "server_check_query", "server_reset_query", "server_reset_query_always", "idle_transaction_timeout",
                "auth_type", "max_prepared_statements", "ignore_startup_parameters", "tcp_keepalive", "tcp_keepidle",
                "tcp_keepintvl", "tcp_keepcnt", "tcp_user_timeout", "server_round_robin", "cancel_wait_timeout"));
        PARTS.put("postgresql", Set.of("max_connections", "shared_buffers", "work_mem", "effective_cache_size",
                "maintenance_work_mem", "checkpoint_completion_target", "wal_buffers", "random_page_cost",
                "effective_io_concurrency", "max_worker_processes", "max_parallel_workers_per_gather", "max_parallel_workers",
                "idle_in_transaction_session_timeout", "statement_timeout", "synchronous_commit", "commit_delay",
                "lock_timeout", "tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count"));
    }

    private static final Pattern CITED = Pattern.compile("^(.*?)\\s+@\\s+(\\S+:\\d+)$");
    private static final Pattern VERSION = Pattern.compile("(\\d+(?:\\.\\d+)*)");

    /** One setting: the value shipped, where it is written, and the value this machine runs (scaled, or the same). */
    public record Setting(String part, String name, String shipped, String source, String value) {
        public boolean scaled() {
            return !shipped.equals(value);
        }
    }

    private final String name;
    private final Map<String, Setting> settings;

    private DeploymentSpec(String name, Map<String, Setting> settings) {
        this.name = name;
        this.settings = settings;
    }

    /** A deployment by name (deployments/NAME.properties on the classpath) or a file path. */
    public static DeploymentSpec load(String nameOrPath) {
        Properties p = new Properties();
        String name = nameOrPath;
        try {
            Path file = Path.of(nameOrPath);
            if (nameOrPath.contains("/") || nameOrPath.endsWith(".properties")) {
                if (!Files.isRegularFile(file)) {
                    throw new LabException("deployment file " + nameOrPath + " does not exist");
                }
                name = file.getFileName().toString().replaceFirst("\\.properties$", "");
                try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    p.load(r);
                }
            } else {
                try (InputStream in = DeploymentSpec.class.getClassLoader().getResourceAsStream("deployments/" + nameOrPath + ".properties")) {
                    if (in == null) {
                        throw new LabException("unknown deployment '" + nameOrPath + "' (known: " + String.join(", ", known()) + ")");
                    }
                    p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            throw new LabException("cannot read deployment " + nameOrPath + ": " + e.getMessage(), e);
        }
        return parse(name, p);
    }

    /** The deployments shipped with the suite. */
    public static List<String> known() {
        return List.of("contextforge-compose");
    }

    static DeploymentSpec parse(String name, Properties p) {
        Map<String, Setting> out = new LinkedHashMap<>();
        Map<String, String> scale = new TreeMap<>();
        for (String key : new TreeMap<>(toMap(p)).keySet()) {
            String raw = p.getProperty(key).trim();
            if (key.startsWith("scale.")) {
                scale.put(key.substring("scale.".length()), raw);
                continue;
            }
            String[] ps = split(name, key);
            Matcher m = CITED.matcher(raw);
            if (!m.matches()) {
                throw new LabException("deployment " + name + ": " + key + " has no source (write it 'value @ file:line'): '" + raw + "'");
            }
            out.put(key, new Setting(ps[0], ps[1], m.group(1).trim(), m.group(2), m.group(1).trim()));
        }
        scale.forEach((key, value) -> {
            split(name, key);
            Setting s = out.get(key);
            if (s == null) {
                throw new LabException("deployment " + name + ": scale." + key + " scales a setting the deployment does not set");
            }
            out.put(key, new Setting(s.part(), s.name(), s.shipped(), s.source(), value));
        });
        Setting down = out.get("lab.restart-downtime-ms");
        if (down != null && !down.value().matches("\\d{1,7}")) {
            throw new LabException("deployment " + name + ": lab.restart-downtime-ms is a number of milliseconds, not '"
                    + down.value() + "'");
        }
        return new DeploymentSpec(name, out);
    }

    private static Map<String, String> toMap(Properties p) {
        Map<String, String> m = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        return m;
    }

    /** part and setting of a key, or one line naming what is wrong. */
    private static String[] split(String name, String key) {
        int dot = key.indexOf('.');
        String part = dot < 0 ? key : key.substring(0, dot);
        if (!PARTS.containsKey(part)) {
            throw new LabException("deployment " + name + ": unknown part '" + part + "' in " + key + " (known: "
                    + String.join(", ", PARTS.keySet()) + ")");
        }
        String setting = dot < 0 ? "" : key.substring(dot + 1);
        boolean known = PARTS.get(part).contains(setting) || (part.equals("gateway") && setting.matches("env\\.[A-Z][A-Z0-9_]*"));
        if (!known) {
            throw new LabException("deployment " + name + ": part " + part + " has no setting '" + setting + "' (known: "
                    + String.join(", ", new java.util.TreeSet<>(PARTS.get(part)))
                    + (part.equals("gateway") ? ", env.NAME" : "") + ")");
        }
        return new String[] {part, setting};
    }

    public String name() {
        return name;
    }

    /** The value this machine runs (scaled where the deployment says so). */
    public String value(String part, String setting) {
        return setting(part, setting).value();
    }

    public Setting setting(String part, String setting) {
        Setting s = settings.get(part + "." + setting);
        if (s == null) {
            throw new LabException("deployment " + name + " does not set " + part + "." + setting);
        }
        return s;
    }

    public Optional<Setting> find(String part, String setting) {
        return Optional.ofNullable(settings.get(part + "." + setting));
    }

    /** A part's settings under a prefix (e.g. gateway "env."), keyed by the rest, values as run here. */
    public Map<String, String> values(String part, String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        settings.values().stream().filter(s -> s.part().equals(part) && s.name().startsWith(prefix))
                .forEach(s -> out.put(s.name().substring(prefix.length()), s.value()));
        return out;
    }

    public List<Setting> settings(String part) {
        return settings.values().stream().filter(s -> s.part().equals(part)).toList();
    }

    /** The scaled settings, each "part.setting shipped → here (source)". */
    public List<String> scaled() {
        List<String> out = new ArrayList<>();
        settings.values().stream().filter(Setting::scaled).forEach(s -> out.add(s.part() + "." + s.name() + " " + s.shipped()
                + " → " + s.value() + " (" + s.source() + ")"));
        return out;
    }

    /**
     * Whether an installed part's version fits: its first dotted number starts with the deployment's (as run here). One
     * line if not.
     */
    public void checkVersion(String part, String what, String versionOutput) {
        String wanted = value(part, "version");
        Matcher m = VERSION.matcher(versionOutput);
        String got = m.find() ? m.group(1) : "";
        if (!(got.equals(wanted) || got.startsWith(wanted + "."))) {
            throw new LabException("deployment " + name + " needs " + part + " " + wanted + ": " + what + " is "
                    + (got.isEmpty() ? "'" + versionOutput.strip() + "'" : got)
                    + (part.equals("pgbouncer") ? " (build it with src/test/tools/build-pgbouncer.sh, or -Dpgbouncer.bin=)" : ""));
        }
    }
}
