package io.pgresilience.config;

import java.time.Duration;

/** The deadlines every check polls against, and the poll interval; all from configuration. */
public record Bounds(Duration detect, Duration recover, Duration rto, Duration poll, Duration sustain,
                     Duration requestSlack, Duration http) {

    public static Bounds from(Settings s) {
        return new Bounds(s.millis("deadline.detect-ms"), s.millis("deadline.recover-ms"), s.millis("deadline.rto-ms"),
                s.millis("poll.interval-ms"), s.millis("sustain-ms"), s.millis("deadline.request-slack-ms"),
                s.millis("http.timeout-ms"));
    }
}
