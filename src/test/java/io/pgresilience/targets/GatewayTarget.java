package io.pgresilience.targets;

import io.pgresilience.config.GatewayTimeouts;
import java.util.Optional;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The system under test, always a black box over HTTP. The reference gateway and ContextForge are started
 * by the suite; an external gateway is only called.
 */
public interface GatewayTarget extends AutoCloseable {

    /** reference, contextforge or external. */
    String name();

    String version();

    GatewayProfile profile();

    String baseUrl();

    /** The bearer token; a secret, never printed. */
    String token();

    Set<Capability> capabilities();

    default boolean has(Capability c) {
        return capabilities().contains(c);
    }

    /** The database role the gateway logs in as, to find its sessions in pg_stat_activity. */
    String databaseRole();

    Topology topology();

    /** The topology a scenario gets unless it asks for another. */
    Topology defaultTopology();

    boolean supports(Topology topology);

    /** Running, healthy and connected as the scenario needs; restarts the gateway when it must. */
    void prepare(Topology topology);

    /** Stops and starts the gateway process with the same configuration (needs MANAGED_PROCESS). */
    void restart();

    /** Connections the pool keeps when idle (HikariCP minimumIdle; 1 for a lazy pool). */
    int poolIdleSize();

    /** Connections the pool may open at most. */
    int poolMaxSize();

    /** The gateway's database timeouts, typed; empty where it sets none. */
    GatewayTimeouts timeouts();

    /** How long a request waits for a pooled connection. */
    default Duration poolTimeout() {
        return timeouts().pool();
    }

    /** The longest any request may take when the database misbehaves (see {@link GatewayTimeouts#requestBound}). */
    default Duration requestBound() {
        return timeouts().requestBound();
    }

    /** The statement timeout the gateway sets, if it sets one. */
    default Optional<Duration> statementTimeout() {
        return timeouts().statement();
    }

    GatewayLog log();

    /** The target's secrets by name (its token, and any it generated), to prove none of them leaked. */
    default Map<String, String> secrets() {
        return token() == null ? Map.of() : Map.of("gateway token", token());
    }

    /**
     * What the running gateway process itself uses, read from the gateway or its process (never from what the suite
     * meant to give it): e.g. an instance or process identity and the database hosts. Empty when nothing can be read.
     */
    /** The key that signs the gateway's tokens, where its profile names it (token.signing-secret) and the suite made it. */
    default Optional<String> tokenSigningKey() {
        String name = profile().tokenSigningSecret();
        if (name == null) {
            return Optional.empty();
        }
        return secrets().entrySet().stream().filter(e -> e.getKey().equals(name) || e.getKey().equals("gateway secret " + name))
                .map(Map.Entry::getValue).findFirst();
    }

    default Map<String, String> observeConfiguration() {
        return Map.of();
    }

    /** Name, version and settings, for the report. No secrets. */
    Map<String, String> describe();

    @Override
    void close();
}
