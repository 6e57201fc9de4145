package io.pgresilience.lab;

import java.time.Duration;

/**
 * How long the lab's own operations may take (start, stop, catch-up, polls), and how long an immediate shutdown may
 * take before it is made a crash; all from configuration.
 */
public record Deadlines(Duration operation, Duration poll, Duration immediateStopGrace) {

    public Deadlines(Duration operation, Duration poll) {
        this(operation, poll, Duration.ofSeconds(5));
    }
}
