package io.pgresilience.config;

import java.time.Duration;
import java.util.Optional;

/**
 * The database timeouts a gateway runs with, typed once: as the suite gives them to a gateway it configures, or as a
 * target documents them (empty where the gateway sets none). The bound every request is held to is worked out here
 * and nowhere else.
 *
 * @param requestBound the longest a request may take when the database misbehaves: waiting for a pooled connection,
 *                     then for the database (the gateway's socket timeout, or where it sets none, what the suite
 *                     expects of any gateway: {@code gateway.socket-timeout-s}), plus {@code deadline.request-slack-ms}
 */
public record GatewayTimeouts(Duration pool, Optional<Duration> connect, Optional<Duration> socket,
                              Optional<Duration> statement, Duration requestBound) {

    /** What the suite gives a gateway it configures itself (the {@code gateway.*} settings): every timeout set. */
    public static GatewayTimeouts configured(Settings s) {
        return of(s, s.millis("gateway.pool.timeout-ms"), Optional.of(s.seconds("gateway.connect-timeout-s")),
                Optional.of(s.seconds("gateway.socket-timeout-s")), Optional.of(s.millis("gateway.statement-timeout-ms")));
    }

    public static GatewayTimeouts of(Settings s, Duration pool, Optional<Duration> connect, Optional<Duration> socket,
                                     Optional<Duration> statement) {
        Duration bound = pool.plus(socket.orElse(s.seconds("gateway.socket-timeout-s"))).plus(s.millis("deadline.request-slack-ms"));
        return new GatewayTimeouts(pool, connect, socket, statement, bound);
    }

    /** For the report: every timeout, "none" where the gateway sets none. */
    public String describe() {
        return "pool " + pool.toMillis() + " ms, connect " + ms(connect) + ", socket " + ms(socket) + ", statement " + ms(statement);
    }

    private static String ms(Optional<Duration> d) {
        return d.map(x -> x.toMillis() + " ms").orElse("none");
    }
}
