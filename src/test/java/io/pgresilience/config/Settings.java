package io.pgresilience.config;

import java.util.Optional;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * The suite's configuration: {@code pg-resilience.properties} on the classpath, overridden by
 * {@code -Dkey=value}. Every timeout the gateway is given and every deadline a check polls against
 * comes from here, and all of it is printed in the report.
 */
public final class Settings {

    private static final String FILE = "pg-resilience.properties";

    private final Properties values;

    private Settings(Properties values) {
        this.values = values;
    }

    public static Settings load() {
        Properties p = new Properties();
        try (InputStream in = Settings.class.getClassLoader().getResourceAsStream(FILE)) {
            if (in == null) {
                throw new IllegalStateException(FILE + " is missing from the test classpath");
            }
            p.load(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + FILE + ": " + e.getMessage(), e);
        }
        for (String key : p.stringPropertyNames()) {
            String override = System.getProperty(key);
            if (override != null) {
                p.setProperty(key, override);
            }
        }
        // Keys no file can list: a gateway's own switches, -Dgateway.env.NAME=VALUE (targets/GatewaySwitches).
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("gateway.env.")) {
                p.setProperty(key, System.getProperty(key));
            }
        }
        // A product's deployment runs behind its own pooler: it implies topology=pgbouncer unless one is named.
        if (!p.getProperty("deployment", "").isBlank() && System.getProperty("topology") == null) {
            p.setProperty("topology", "pgbouncer");
        }
        return new Settings(p);
    }

    /** For tests of the suite itself. */
    public static Settings of(Map<String, String> entries) {
        Settings base = load();
        entries.forEach(base.values::setProperty);
        return base;
    }

    public String text(String key) {
        String v = values.getProperty(key);
        if (v == null) {
            throw new IllegalArgumentException("setting " + key + " is not defined in " + FILE);
        }
        return v.trim();
    }

    /** Every setting whose key starts with the prefix, keyed by the rest, in the order of their names. */
    public Map<String, String> withPrefix(String prefix) {
        Map<String, String> out = new java.util.TreeMap<>();
        for (String key : values.stringPropertyNames()) {
            if (key.startsWith(prefix)) {
                out.put(key.substring(prefix.length()), values.getProperty(key).trim());
            }
        }
        return new java.util.LinkedHashMap<>(out);
    }

    /** A setting that may be absent (e.g. a per-target override). */
    public Optional<String> optional(String key) {
        String v = values.getProperty(key, System.getProperty(key));
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    public long number(String key) {
        String v = text(key);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting " + key + " must be a number, got '" + v + "'");
        }
    }

    public int integer(String key) {
        return Math.toIntExact(number(key));
    }

    public Duration millis(String key) {
        return Duration.ofMillis(number(key));
    }

    public Duration seconds(String key) {
        return Duration.ofSeconds(number(key));
    }

}
