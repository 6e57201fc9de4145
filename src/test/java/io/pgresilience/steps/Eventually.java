package io.pgresilience.steps;

import static org.awaitility.Awaitility.await;

import io.pgresilience.target.Reply;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Polls the gateway until an answer is the one wanted, within a deadline; when the deadline passes, the failure says
 * what the gateway last answered, or that no request was answered at all (they hang).
 */
final class Eventually {

    private Eventually() {
    }

    static Reply answer(String what, Duration within, Duration poll, Supplier<Reply> call, Predicate<Reply> wanted) {
        AtomicReference<Reply> last = new AtomicReference<>();
        try {
            return await(what).atMost(within).pollInterval(poll).until(() -> {
                Reply r = call.get();
                last.set(r);
                return r;
            }, wanted::test);
        } catch (ConditionTimeoutException e) {
            Reply l = last.get();
            throw new AssertionError(what + ": not within " + within.toSeconds() + " s; " + (l == null
                    ? "no request was answered in that time (they hang)" : "last answer: " + l.summary()));
        }
    }
}
