package io.pgresilience.faults;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A fault at a point of the conversation, not of time: the first write whose statements carry a marker (the name it
 * writes) is let through to PostgreSQL, and once PostgreSQL has answered its COMMIT (a CommandComplete "COMMIT", or the
 * tag of a write committed on its own, followed by ReadyForQuery "idle"), that answer is held back and the connection is
 * reset: the database has the write, the client never hears so. Jepsen calls such an operation "info". It fires once.
 * Made by a proxy that reads the protocol ({@link CommitCutter}); a proxy that only moves bytes cannot make it.
 */
public final class CommitCut {

    /** Why an engine that only moves bytes (Toxiproxy) cannot make this fault; a skip's reason names it. */
    public static final String CANNOT = "the fault engine cannot cut a connection between a COMMIT and its answer "
            + "(only the in-JVM proxy reads PostgreSQL's protocol)";

    /** Where and after what the connection was cut. */
    public record Fired(String link, String commandTag, int heldBytes, long atNanos) {
        public String describe() {
            return "on " + link + ", after PostgreSQL answered '" + commandTag + "' and before that answer ("
                    + heldBytes + " bytes) reached the client";
        }
    }

    private final String marker;
    private final byte[] markerBytes;
    private final AtomicReference<Fired> fired = new AtomicReference<>();
    private final CountDownLatch done = new CountDownLatch(1);

    private CommitCut(String marker) {
        if (marker == null || marker.isEmpty()) {
            throw new IllegalArgumentException("a commit cut needs the marker of the write it waits for");
        }
        this.marker = marker;
        this.markerBytes = marker.getBytes(StandardCharsets.UTF_8);
    }

    /** The cut of the first committed write whose statements carry the marker. */
    public static CommitCut ofWriteCarrying(String marker) {
        return new CommitCut(marker);
    }

    public String marker() {
        return marker;
    }

    byte[] markerBytes() {
        return markerBytes;
    }

    /** A write's command tag, or COMMIT: a ReadyForQuery "idle" after it means PostgreSQL has committed. */
    static boolean commits(String tag) {
        if (tag == null) {
            return false;
        }
        String t = tag.toUpperCase(Locale.ROOT);
        return t.equals("COMMIT") || writes(t);
    }

    static boolean writes(String tag) {
        if (tag == null) {
            return false;
        }
        String t = tag.toUpperCase(Locale.ROOT);
        return t.startsWith("INSERT ") || t.startsWith("UPDATE ") || t.startsWith("DELETE ") || t.startsWith("MERGE ")
                || t.startsWith("COPY ");
    }

    /** Claims the cut for one connection; false when another already took it. */
    boolean fire(String link, String commandTag, int heldBytes) {
        if (!fired.compareAndSet(null, new Fired(link, commandTag, heldBytes, System.nanoTime()))) {
            return false;
        }
        done.countDown();
        return true;
    }

    public boolean hasFired() {
        return fired.get() != null;
    }

    public Optional<Fired> fired() {
        return Optional.ofNullable(fired.get());
    }

    /** Waits until the cut has fired, at most within; empty when it has not. */
    public Optional<Fired> awaitFired(Duration within) {
        try {
            done.await(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return fired();
    }
}
