package io.pgresilience.world;

import io.pgresilience.targets.GatewayClient;
import io.pgresilience.targets.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Background traffic through the gateway while a fault happens: each worker writes a server with a unique
 * name, then reads it back, in a loop, until stopped. Bounded: a few workers and a pause between operations.
 */
public final class Workload implements AutoCloseable {

    private final GatewayClient client;
    private final String prefix;
    private final int workers;
    private final Duration pause;
    private final Duration stopWithin;
    private final AtomicLong sequence = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;

    public Workload(GatewayClient client, String prefix, int workers, Duration pause, Duration stopWithin) {
        this.client = client;
        this.prefix = prefix;
        this.workers = workers;
        this.pause = pause;
        this.stopWithin = stopWithin;
    }

    public String prefix() {
        return prefix;
    }

    public boolean running() {
        return running;
    }

    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(this::loop, "workload-" + prefix + "-" + i);
            t.setDaemon(true);
            t.setUncaughtExceptionHandler((th, e) -> {
                System.err.println("pg-resilience: workload worker " + th.getName() + " died: " + e);
                e.printStackTrace();
            });
            threads.add(t);
            t.start();
        }
    }

    private void loop() {
        while (running) {
            String key = prefix + "-" + sequence.incrementAndGet();
            Reply write = client.createServer(key);
            if (!running) {
                return;
            }
            if (write.status() >= 200 && write.status() < 300) {
                client.findServer(key);
            }
            pause();
        }
    }

    private void pause() {
        try {
            // A worker's pacing, not a wait for a condition: it bounds the load on a 2-core machine.
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Stops the workers and waits for their last operations to end (each has the HTTP client's timeout). */
    public synchronized void stop() {
        running = false;
        long deadline = System.nanoTime() + stopWithin.toNanos();
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        threads.clear();
    }

    @Override
    public void close() {
        stop();
    }
}
