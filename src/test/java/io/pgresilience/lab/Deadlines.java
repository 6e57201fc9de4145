package io.pgresilience.lab;

import java.time.Duration;

/** How long the lab's own operations may take (start, stop, catch-up, polls); from configuration. */
public record Deadlines(Duration operation, Duration poll) {
}
