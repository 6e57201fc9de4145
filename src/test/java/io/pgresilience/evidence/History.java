package io.pgresilience.evidence;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    /**
     * A heal has begun (a start, a promotion, the removal of a fault from every proxy): the database may be usable
     * before the heal is marked, so answers that tell of a usable database are not flaps from here.
     */
    public static final String HEALING = "healing";
    /** A stopped node is gone (its stop returned); it may acknowledge writes between the fault and this. */
    public static final String DOWN = "down";
    /** The system is degraded before the fault proper (e.g. the replication link is cut): answers are judged from here. */
    public static final String DEGRADED = "replication cut";
    /** A deliberate restart of the gateway: connections to it may be refused until it answers again. */
    public static final String RESTART = "restart";
    /** A standby became the primary (the judge measures the RTO to the first write acknowledged after it). */
    public static final String PROMOTED = "promoted";

    /** A request that has begun and not yet ended. */
    public record Pending(long index, String kind, String key, long startMs) {
    }

    /** A moment the suite acted: "fault", "heal", "promoted"... */
    public record Event(String name, String description, long atMs) {
    }

    private final long originNanos = System.nanoTime();
    private final AtomicLong counter = new AtomicLong();
    private final List<Operation> operations = new ArrayList<>();
    private final List<Event> events = new ArrayList<>();
    private final Map<Long, Pending> pending = new LinkedHashMap<>();
    private volatile String unknownCode = Outcome.UNKNOWN_CODE;

    /** A finished history, for judging a snapshot. */
    static History of(List<Operation> ops, List<Event> events) {
        History h = new History();
        h.operations.addAll(ops);
        h.events.addAll(events);
        return h;
    }

    /** Milliseconds since the history began. */
    public long now() {
        return (System.nanoTime() - originNanos) / 1_000_000;
    }

    /** The error code by which the gateway says a commit's outcome is unknown (its profile's). */
    public void outcomeUnknownCode(String code) {
        this.unknownCode = code;
    }

    /** A request begins: until it is recorded it is pending, and the judge sees how long it has been hanging. */
    public Pending begin(String kind, String key) {
        Pending p = new Pending(counter.incrementAndGet(), kind, key, now());
        synchronized (operations) {
            pending.put(p.index(), p);
        }
        return p;
    }

    /** The request has ended (with an answer, or with none: status 0). */
    public Operation record(Pending begun, int status, String error, String message, boolean retryAfter, String detail) {
        return record(begun, now(), status, error, message, retryAfter, detail);
    }

    /** The request ended at endMs (the answer's arrival; reading its body afterwards is the suite's time, not the gateway's). */
    public Operation record(Pending begun, long end, int status, String error, String message, boolean retryAfter,
                            String detail) {
        Operation op = new Operation(begun.index(), begun.kind(), begun.key(), begun.startMs(), end, status,
                Outcome.of(status, error, unknownCode), error, message, retryAfter, detail);
        synchronized (operations) {
            pending.remove(begun.index());
            operations.add(op);
        }
        return op;
    }

    /** Requests begun and not ended yet. */
    public List<Pending> pending() {
        synchronized (operations) {
            return List.copyOf(pending.values());
        }
    }

    public Event mark(String name, String description) {
        Event e = new Event(name, description, now());
        synchronized (events) {
            events.add(e);
        }
        return e;
    }

    /**
     * An event that happened at an earlier moment than now, known only afterwards (e.g. the last moment a node was seen a
     * standby, once it is seen promoted): kept in time order among the others.
     */
    public Event markAt(String name, String description, long atMs) {
        Event e = new Event(name, description, atMs);
        synchronized (events) {
            int i = events.size();
            while (i > 0 && events.get(i - 1).atMs() > atMs) {
                i--;
            }
            events.add(i, e);
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
