package io.pgresilience.target;

import io.pgresilience.config.Bounds;
import io.pgresilience.config.Settings;
import io.pgresilience.evidence.Evidence;
import io.pgresilience.evidence.Workload;
import io.pgresilience.session.Session;
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

    private final Session session = Session.get();
    private final Evidence evidence;
    private final GatewayClient client;
    private final ExecutorService background = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "gateway-request");
        t.setDaemon(true);
        return t;
    });
    private final List<CompletableFuture<Reply>> inFlight = new ArrayList<>();
    private Workload workload;
    private Reply last;
    private long startPid = -1;
    private String startDatabaseUrl;

    public GatewayWorld(Evidence evidence) {
        this.evidence = evidence;
        this.client = new GatewayClient(session.target(), evidence.history(), bounds().http());
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

    /** Skips the scenario, with the reason in the report, when the target lacks what it needs. */
    public void require(Capability capability) {
        if (!target().has(capability)) {
            throw new TestAbortedException("not run against " + target().name() + ": " + capability.missingReason());
        }
    }

    /** Makes the gateway ready in the topology the scenario needs, and remembers its configuration. */
    public void prepare(Topology topology) {
        if (!target().supports(topology)) {
            throw new TestAbortedException("not run against " + target().name() + ": it cannot be given " + topology.phrase());
        }
        session.prepareScenario(topology);
        startDatabaseUrl = target().describe().get("database URL");
        startPid = target().describe().containsKey("pid") ? Long.parseLong(target().describe().get("pid")) : -1;
    }

    public String startDatabaseUrl() {
        return startDatabaseUrl;
    }

    public long startPid() {
        return startPid;
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
                    settings().millis("workload.pause-ms"), bounds().http().plusSeconds(2));
        }
        workload.start();
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

    /** After every scenario: the workload stops and every background request ends (each has the client timeout). */
    public void finish() {
        stopWorkload();
        List<CompletableFuture<Reply>> pending;
        synchronized (inFlight) {
            pending = List.copyOf(inFlight);
        }
        try {
            CompletableFuture.allOf(pending.toArray(new CompletableFuture[0]))
                    .get(bounds().http().toMillis() + 2_000, TimeUnit.MILLISECONDS);
        } catch (Exception ignored) {
            // reported by the steps that awaited them; here we only make sure nothing keeps running
        }
        background.shutdownNow();
    }
}
