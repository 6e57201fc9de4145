package io.pgresilience.evidence;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything that happened in a scenario, in order: each operation with its timing and outcome, and the
 * moments the suite injected or removed a fault. Correctness is judged from this, not from single requests.
 */
public final class History {

    /** The event that starts the fault window. */
    public static final String FAULT = "fault";
    /** The event that ends it. */
    public static final String HEAL = "heal";
    /** A stopped node is gone (its stop returned); it may acknowledge writes between the fault and this. */
    public static final String DOWN = "down";

    /** A moment the suite acted: "fault", "heal", "promoted"... */
    public record Event(String name, String description, long atMs) {
    }

    private final long originNanos = System.nanoTime();
    private final AtomicLong counter = new AtomicLong();
    private final List<Operation> operations = new ArrayList<>();
    private final List<Event> events = new ArrayList<>();

    /** Milliseconds since the history began. */
    public long now() {
        return (System.nanoTime() - originNanos) / 1_000_000;
    }

    public Operation record(String kind, String key, long startMs, long endMs, int status, String error, String detail) {
        Operation op = new Operation(counter.incrementAndGet(), kind, key, startMs, endMs, status,
                Outcome.of(status, error), error, detail);
        synchronized (operations) {
            operations.add(op);
        }
        return op;
    }

    public Event mark(String name, String description) {
        Event e = new Event(name, description, now());
        synchronized (events) {
            events.add(e);
        }
        return e;
    }

    public List<Operation> operations() {
        synchronized (operations) {
            return List.copyOf(operations);
        }
    }

    public List<Event> events() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    /** The first time an event of that name was marked. */
    public Optional<Long> first(String name) {
        return events().stream().filter(e -> e.name().equals(name)).map(Event::atMs).findFirst();
    }

    /** The last time an event of that name was marked. */
    public Optional<Long> last(String name) {
        List<Event> all = new ArrayList<>(events());
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i).name().equals(name)) {
                return Optional.of(all.get(i).atMs());
            }
        }
        return Optional.empty();
    }
}
