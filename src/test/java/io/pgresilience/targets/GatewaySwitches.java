package io.pgresilience.targets;

import io.pgresilience.config.Settings;
import io.pgresilience.support.LabException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A gateway's own switches given per run, {@code -Dgateway.env.NAME=VALUE}: added to the environment of a gateway the
 * suite starts (command, reference, ContextForge; given last, so they win over what the target sets), listed in the
 * run context with secret-looking values masked, and those values registered as the run's secrets (the leak scan
 * fails the run if one appears in the reports or logs).
 */
public final class GatewaySwitches {

    public static final String PREFIX = "gateway.env.";
    /** A name that holds a secret: its value is masked in the run context and registered as a secret. */
    public static final Pattern SECRET_NAME = Pattern.compile(".*(TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL).*");
    private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final Map<String, String> values;

    private GatewaySwitches(Map<String, String> values) {
        this.values = values;
    }

    public static GatewaySwitches from(Settings settings) {
        return of(settings.withPrefix(PREFIX));
    }

    /** @throws LabException (one line) for a name that is no environment variable's */
    public static GatewaySwitches of(Map<String, String> values) {
        Map<String, String> v = new LinkedHashMap<>();
        values.forEach((name, value) -> {
            if (!VARIABLE.matcher(name).matches()) {
                throw new LabException("-D" + PREFIX + name + ": '" + name + "' is not an environment variable's name "
                        + "(letters, digits, underscore)");
            }
            v.put(name, value);
        });
        return new GatewaySwitches(v);
    }

    public Map<String, String> environment() {
        return Map.copyOf(values);
    }

    /** The switches over a gateway's environment: they win, since the run asked for them. */
    public Map<String, String> applyTo(Map<String, String> env) {
        env.putAll(values);
        return env;
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    public static boolean secretLooking(String name) {
        return SECRET_NAME.matcher(name.toUpperCase(Locale.ROOT)).matches();
    }

    /** For the run context: NAME=VALUE, secret-looking values as {@code ***}. */
    public String describe() {
        if (values.isEmpty()) {
            return "none";
        }
        return values.entrySet().stream().map(e -> e.getKey() + "=" + (secretLooking(e.getKey()) ? "***" : e.getValue()))
                .collect(Collectors.joining(", ")) + " (-D" + PREFIX + "NAME=VALUE)";
    }

    /** The secret-looking values, by a name for the leak scan. */
    public Map<String, String> secrets() {
        Map<String, String> s = new LinkedHashMap<>();
        values.forEach((name, value) -> {
            if (secretLooking(name) && !value.isEmpty()) {
                s.put("gateway switch " + name, value);
            }
        });
        return s;
    }

    /** Adds this run's switches to the run context of a target. */
    public void describeInto(Map<String, String> d) {
        d.put("gateway switches", describe());
    }
}
