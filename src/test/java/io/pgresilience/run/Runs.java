package io.pgresilience.run;

import io.pgresilience.config.Settings;
import io.pgresilience.support.LabException;
import io.pgresilience.run.RunContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

/**
 * The labs of this JVM: at most {@code labs} runs, each started on the first scenario that finds none free and handed
 * to one scenario at a time ({@link Lease}). Cucumber runs up to {@code labs} scenarios at once (see
 * {@link LabsParallelism}), so every worker has a run of its own. Every run is stopped when the suite ends, also on
 * Ctrl-C. This is the only state shared between workers; scenarios see their own run only, through PicoContainer.
 */
public final class Runs {

    private static final Object LOCK = new Object();
    private static final LinkedBlockingDeque<Run> FREE = new LinkedBlockingDeque<>();
    private static final List<Run> STARTED = new ArrayList<>();
    private static int starting;
    private static LabException startFailure;
    private static boolean hooked;

    private Runs() {
    }

    /** How many labs this JVM runs side by side ({@code -Dlabs=N}). */
    public static int labs(Settings settings) {
        // A per-target or per-lab default (labs.<target>, labs.<lab>) applies unless -Dlabs is given.
        int n = settings.integer("labs");
        if (System.getProperty("labs") == null) {
            for (String key : List.of("labs." + settings.text("target"), "labs." + settings.text("lab"))) {
                if (settings.optional(key).isPresent()) {
                    n = Math.min(n, settings.integer(key));
                }
            }
        }
        if (n < 1) {
            throw new LabException("labs=" + n + ": at least one lab is needed");
        }
        return n;
    }

    /** A run for one scenario: a free one, a new one while fewer than {@code labs} exist, or the next one freed. */
    static Run lease() {
        Settings settings = Settings.load();
        int worker;
        synchronized (LOCK) {
            if (startFailure != null) {
                throw startFailure;
            }
            Run free = FREE.pollFirst();
            if (free != null) {
                return free;
            }
            if (STARTED.size() + starting >= labs(settings)) {
                worker = -1;
            } else {
                starting++;
                worker = STARTED.size() + starting;
                if (!hooked) {
                    Runtime.getRuntime().addShutdownHook(new Thread(Runs::endAll, "pg-resilience-teardown"));
                    hooked = true;
                }
            }
        }
        if (worker < 0) {
            return waitForFree();
        }
        try {
            Run run = startOnceMore(settings, worker);
            synchronized (LOCK) {
                STARTED.add(run);
                writeRunContext(settings);
            }
            return run;
        } catch (LabException | IllegalArgumentException e) {
            synchronized (LOCK) {
                startFailure = e instanceof LabException le ? le : new LabException(e.getMessage(), e);
            }
            System.err.println("pg-resilience: " + e.getMessage());
            throw startFailure;
        } catch (RuntimeException | AssertionError e) {
            // Twice an accident: this scenario fails with it; the next scenario that needs a lab starts one again.
            System.err.println("pg-resilience: lab " + worker + " did not start: " + e);
            throw e;
        } finally {
            synchronized (LOCK) {
                starting--;
            }
        }
    }

    /**
     * Starts worker {@code worker}'s run; an accident of the start (not a lab that cannot start: that is a
     * {@link LabException}, e.g. a missing program or a busy configured port) is tried once more, and the run context
     * says so. A lab is the suite's fixture, not a verdict: no scenario has run on it yet.
     */
    private static Run startOnceMore(Settings settings, int worker) {
        try {
            return Run.start(settings, worker);
        } catch (LabException | IllegalArgumentException cannotStart) {
            throw cannotStart;
        } catch (RuntimeException | AssertionError accident) {
            System.err.println("pg-resilience: lab " + worker + " did not start (" + accident + "); starting it once more");
            Run run = Run.start(settings, worker);
            run.figures().put("lab " + worker + " start", "the first attempt failed (" + accident + "); the second succeeded");
            return run;
        }
    }

    private static Run waitForFree() {
        try {
            while (true) {
                Run run = FREE.pollFirst(1, TimeUnit.SECONDS);
                if (run != null) {
                    return run;
                }
                synchronized (LOCK) {
                    if (startFailure != null) {
                        throw startFailure;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while waiting for a free lab", e);
        }
    }

    static void release(Run run) {
        synchronized (LOCK) {
            if (STARTED.contains(run)) {
                FREE.addFirst(run);
            }
        }
    }

    /** Every secret of every run of this JVM. */
    public static Map<String, String> secrets() {
        Map<String, String> all = new LinkedHashMap<>();
        synchronized (LOCK) {
            STARTED.forEach(r -> all.putAll(r.secrets()));
        }
        return all;
    }

    /** Stops every run; safe to call twice. */
    public static void endAll() {
        List<Run> runs;
        synchronized (LOCK) {
            runs = List.copyOf(STARTED);
            STARTED.clear();
            FREE.clear();
            startFailure = null; // a self-proof command runs the suite again in this JVM, with other settings
        }
        runs.parallelStream().forEach(Run::close);
    }

    /** The run context: what the first run is, and how long each lab took to get ready. */
    private static void writeRunContext(Settings settings) {
        Run first = STARTED.get(0);
        Map<String, String> figures = new LinkedHashMap<>();
        int labs = labs(settings);
        figures.put("labs side by side", labs + " (-Dlabs; each its own PostgreSQL primary + standby, proxies and gateway)");
        for (Run r : STARTED) {
            r.figures().forEach((k, v) -> figures.merge(k, labs > 1 ? "lab " + r.worker() + ": " + v : v, (a, b) -> a + "; " + b));
        }
        figures.putAll(first.deadlines());
        RunContext.write(RunContext.of(first.targetFacts(), first.labFacts(), figures));
    }
}
