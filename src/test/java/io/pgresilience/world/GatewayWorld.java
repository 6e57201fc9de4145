package io.pgresilience.world;

import java.util.Objects;
import io.pgresilience.config.Bounds;
import io.pgresilience.config.Slo;
import java.time.Duration;
import java.util.Map;
import io.pgresilience.config.Settings;
import io.pgresilience.evidence.Evidence;
import io.pgresilience.evidence.History;
import io.pgresilience.evidence.Metrics;
import io.pgresilience.support.Wait;
import io.pgresilience.world.Workload;
import io.pgresilience.run.Lease;
import io.pgresilience.run.Run;
import io.pgresilience.targets.Capability;
import io.pgresilience.targets.GatewayClient;
import io.pgresilience.targets.GatewayTarget;
import io.pgresilience.targets.Reply;
import io.pgresilience.targets.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.opentest4j.TestAbortedException;

/**
 * The scenario's hold on the gateway (a PicoContainer world object): the HTTP client, requests running in the
 * background, the workload, and the answer the story steps talk about ("the request").
 */
public final class GatewayWorld {

    private final Run session;
    private final Evidence evidence;
    private final GatewayClient client;
    private final ExecutorService background = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "gateway-request");
        t.setDaemon(true);
        return t;
    });
    private final List<CompletableFuture<Reply>> inFlight = new ArrayList<>();
    private Workload workload;
    private Thread readinessSampler;
    private volatile boolean sampling;
    private Reply last;
    private Map<String, String> startConfiguration = Map.of();
    private long logOffset;
    private Duration rtoOfThisScenario;

    public GatewayWorld(Evidence evidence, Lease lease) {
        this.evidence = evidence;
        this.session = lease.run();
        // The client waits at least as long as the gateway's deployment may hold a request (as deployed: nginx's
        // proxy_read_timeout), so that its answer, not the client's give-up, is what is measured.
        java.time.Duration requestBound = session.target().requestBound();
        this.client = new GatewayClient(session.target(), evidence.history(),
                requestBound.compareTo(bounds().http()) > 0 ? requestBound : bounds().http());
    }

    public Evidence evidence() {
        return evidence;
    }

    /** The scenario-unique name for a name the feature uses. */
    public String evidenceKey(String name) {
        return evidence.key(name);
    }

    public GatewayClient client() {
        return client;
    }

    public GatewayTarget target() {
        return session.target();
    }

    public Settings settings() {
        return session.settings();
    }

    public Bounds bounds() {
        return Bounds.from(session.settings());
    }

    /** What this target is held to: detect, recover, RTO. */
    public Slo slo() {
        Slo slo = Slo.of(session.settings(), target().name(), target().poolTimeout());
        return rtoOfThisScenario == null ? slo : slo.withRto(rtoOfThisScenario);
    }

    /**
     * This scenario's fault puts a later floor under the RTO (a primary cut off under an HA manager: see
     * {@link Slo#isolatedRto}); the evidence says so.
     */
    public void holdToIsolatedRto() {
        rtoOfThisScenario = Slo.isolatedRto(session.settings(), target().name());
        evidence.note("RTO SLO of this scenario", rtoOfThisScenario.toMillis() + " ms (slo.isolated-rto-ms: a primary cut off "
                + "cannot hand its leader lock over; the standby is elected only once the lock runs out)");
    }

    /** Skips the scenario, with the reason in the report, when the target lacks what it needs. */
    public void require(Capability capability) {
        if (!target().has(capability)) {
            throw new TestAbortedException("not run against " + target().name() + ": " + capability.missingReason());
        }
    }

    /** The gateway's statement timeout; the scenario is skipped, with the reason, when the gateway sets none. */
    public Duration statementTimeout() {
        return target().statementTimeout().orElseThrow(() -> new TestAbortedException(
                "not applicable: the profile declares no statement timeout (timeout.statement-ms; " + target().name() + ")"));
    }

    /** The topology the gateway gets when a scenario does not ask for one. */
    public Topology defaultTopology() {
        return session.defaultTopology();
    }

    /** Makes the gateway ready in the topology the scenario needs, and remembers its configuration. */
    public void prepare(Topology topology) {
        session.cannotReach(topology).ifPresent(why -> {
            throw new TestAbortedException("not run in this deployment: " + why);
        });
        if (!target().supports(topology)) {
            throw new TestAbortedException("not run against " + target().name() + ": it cannot be given " + topology.phrase());
        }
        // A scenario's set-up may restart the gateway: the readiness probes pause, so that its start is not judged.
        boolean wasSampling = readinessSampler != null;
        stopReadinessSampling(target().requestBound());
        readinessSampler = null;
        session.prepareScenario(topology);
        startConfiguration = target().observeConfiguration();
        if (wasSampling) {
            startReadinessSampling();
        }
    }

    /** Where the gateway's log stood as the scenario began. */
    public void logFrom(long offset) {
        this.logOffset = offset;
    }

    /** The gateway's log of this scenario only. */
    public String logOfThisScenario() {
        return target().log().since(logOffset);
    }

    /** What the gateway itself reported of its process and database configuration when the scenario began. */
    public Map<String, String> startConfiguration() {
        return startConfiguration;
    }

    /**
     * Samples readiness through the whole scenario, one probe after another at the configured pace (a rate, not a wait
     * for a condition); every answer goes into the history, where the judge reads it.
     */
    public void startReadinessSampling() {
        if (readinessSampler != null) {
            return;
        }
        long every = settings().millis("readiness.sample-ms").toMillis();
        sampling = true;
        readinessSampler = new Thread(() -> {
            while (sampling) {
                long began = System.nanoTime();
                client.readiness();
                long rest = every - (System.nanoTime() - began) / 1_000_000;
                if (rest > 0 && sampling) {
                    try {
                        Thread.sleep(rest);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }, "readiness-sampler");
        readinessSampler.setDaemon(true);
        readinessSampler.start();
    }

    /** Runs the action with the readiness probes paused (for a check that must see the gateway otherwise idle). */
    public <T> T withReadinessPaused(Supplier<T> action) {
        boolean wasSampling = readinessSampler != null;
        stopReadinessSampling(target().requestBound());
        readinessSampler = null;
        try {
            return action.get();
        } finally {
            if (wasSampling) {
                startReadinessSampling();
            }
        }
    }

    private void stopReadinessSampling(Duration within) {
        sampling = false;
        if (readinessSampler != null) {
            try {
                readinessSampler.join(Math.max(1, within.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public Reply remember(Reply reply) {
        this.last = reply;
        return reply;
    }

    public Reply last() {
        if (last == null) {
            throw new IllegalStateException("no request was made yet in this scenario");
        }
        return last;
    }

    /** Starts a request in the background; it is awaited before the scenario ends. */
    public CompletableFuture<Reply> launch(Supplier<Reply> request) {
        CompletableFuture<Reply> f = CompletableFuture.supplyAsync(request, background);
        synchronized (inFlight) {
            inFlight.add(f);
        }
        return f;
    }

    public void startWorkload() {
        if (workload == null) {
            workload = new Workload(client, evidence.key("wl"), settings().integer("workload.threads"),
                    settings().millis("workload.pause-ms"), target().requestBound());
        }
        workload.start();
    }

    /**
     * Once the scenario has healed its fault, the traffic (and the readiness probes) run on until success has lasted
     * the sustain span and requests have begun a sustain span past the recover SLO (the judge's "once recovered"
     * window), or until the recover SLO plus that span and one request's bound have passed: the judge then sees the
     * whole recovery. Nothing to wait for when the fault was never healed.
     */
    public void letRecoveryShow() {
        History h = evidence.history();
        Long fault = h.first(History.FAULT).orElse(null);
        Long heal = h.last(History.HEAL).filter(at -> fault != null && at >= fault).orElse(null);
        if (heal == null) {
            return;
        }
        long sustain = bounds().sustain().toMillis();
        long recovered = heal + slo().recover().toMillis();
        long until = recovered + sustain + target().requestBound().toMillis();
        Wait.until("success lasts " + sustain + " ms after the heal", Duration.ofMillis(Math.max(0, until - h.now())),
                bounds().poll(), () -> Metrics.recovery(h.operations(), heal, sustain), Objects::nonNull, false);
        // The judge holds every request begun once the recover SLO has passed to success: traffic runs that far, and a
        // sustain span beyond it, so that the rule has requests to judge.
        Wait.until("requests begin " + sustain + " ms past the recover SLO (" + recovered + " ms)",
                Duration.ofMillis(Math.max(0, until - h.now())), bounds().poll(),
                () -> h.operations().stream().anyMatch(o -> o.startMs() >= recovered + sustain), Boolean.TRUE::equals, false);
    }

    public Workload workload() {
        if (workload == null) {
            throw new IllegalStateException("no background traffic was started in this scenario");
        }
        return workload;
    }

    public void stopWorkload() {
        if (workload != null) {
            workload.stop();
        }
    }

    /**
     * After every scenario: the workload and the readiness probes stop, and every background request is given until
     * the gateway's own bound to end. One that has not ended by then stays pending in the history, where the judge
     * sees it hanging; it ends at the HTTP client's timeout.
     */
    public void finish() {
        Duration bound = target().requestBound();
        long deadline = System.nanoTime() + bound.toNanos();
        stopWorkload();
        stopReadinessSampling(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        List<CompletableFuture<Reply>> pending;
        synchronized (inFlight) {
            pending = List.copyOf(inFlight);
        }
        try {
            CompletableFuture.allOf(pending.toArray(new CompletableFuture[0]))
                    .get(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
        } catch (Exception ignored) {
            // the judge reports what is still pending; here nothing waits longer than the bound
        }
        background.shutdown();
    }
}
