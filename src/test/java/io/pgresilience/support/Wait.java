package io.pgresilience.support;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A poll with a deadline, as PostgreSQL's {@code poll_query_until}: asks again every poll interval until the answer
 * is the one wanted or the deadline passes, and says what it last saw. Never a fixed sleep.
 */
public final class Wait {

    /** Thrown by a probe that knows waiting longer is pointless (the process it waits for exited): the wait ends at once with the cause. */
    public static final class GiveUp extends RuntimeException {
        public GiveUp(RuntimeException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private Wait() {
    }

    /**
     * @param failAtDeadline true: an AssertionError naming the last value when the deadline passes; false: the last
     *                       value is returned and the caller judges it
     */
    public static <T> T until(String what, Duration within, Duration poll, Supplier<T> probe, Predicate<? super T> wanted,
                              boolean failAtDeadline) {
        long deadline = System.nanoTime() + within.toNanos();
        T last = null;
        RuntimeException lastError = null;
        while (true) {
            try {
                last = probe.get();
                lastError = null;
                if (wanted.test(last)) {
                    return last;
                }
            } catch (GiveUp e) {
                throw (RuntimeException) e.getCause();
            } catch (RuntimeException e) {
                lastError = e;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                Thread.sleep(Math.min(poll.toMillis(), Math.max(1, left / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (failAtDeadline) {
            throw new AssertionError(what + ": not within " + within.toMillis() + " ms; last seen: "
                    + (lastError != null ? lastError.getClass().getSimpleName() + ": " + lastError.getMessage() : last));
        }
        return last;
    }

    /** Polls until wanted, failing with what it last saw. */
    public static <T> T until(String what, Duration within, Duration poll, Supplier<T> probe, Predicate<? super T> wanted) {
        return until(what, within, poll, probe, wanted, true);
    }
}
