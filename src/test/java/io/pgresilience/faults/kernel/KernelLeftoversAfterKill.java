package io.pgresilience.faults.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A JVM that owned a kernel net is killed with SIGKILL: its namespaces, link and the process inside outlive it; the sweep removes them. */
class KernelLeftoversAfterKill {

    @Test
    void theSweepRemovesWhatASigkilledOwnerLeft() throws Exception {
        assumeTrue(KernelNet.unavailable().isEmpty(), () -> "skipped: " + KernelNet.unavailable().orElse(""));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process owner = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), KernelNetOwner.class.getName())
                .redirectErrorStream(true).start();
        Map<String, String> said = new LinkedHashMap<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(owner.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<Void> ready = CompletableFuture.runAsync(() -> {
                try {
                    for (String line = out.readLine(); line != null && !line.equals("ready"); line = out.readLine()) {
                        String[] kv = line.split(" ", 2);
                        said.put(kv[0], kv.length > 1 ? kv[1] : "");
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            ready.get(30, TimeUnit.SECONDS);
            assertThat(said).as("what the owner said (exit: " + (owner.isAlive() ? "running" : owner.exitValue()) + ")")
                    .containsKeys("prefix", "link", "sleeper", "delayed");
            assertThat(deviceIn(said.get("delayed"))).as("the latency's TUN device while its owner lives").isTrue();
            String prefix = said.get("prefix");
            ProcessHandle sleeper = ProcessHandle.of(Long.parseLong(said.get("sleeper"))).orElseThrow();

            owner.destroyForcibly(); // SIGKILL: no close, no shutdown hook
            assertThat(owner.waitFor(10, TimeUnit.SECONDS)).isTrue();
            List<String> left = KernelLeftovers.namespaces().stream().filter(n -> n.startsWith(prefix)).toList();
            System.out.println("left by the killed owner: " + left + ", link " + said.get("link") + ", sleep pid " + sleeper.pid());
            assertThat(left).hasSize(2);
            assertThat(KernelLeftovers.links()).contains(said.get("link"));
            assertThat(sleeper.isAlive()).isTrue();
            io.pgresilience.support.Wait.until("the latency's TUN device gone with its owner's descriptor",
                    Duration.ofSeconds(5), Duration.ofMillis(50), () -> deviceIn(said.get("delayed")), in -> !in);

            List<String> removed = KernelLeftovers.sweep();

            System.out.println("sweep: " + removed);
            assertThat(KernelLeftovers.namespaces()).noneMatch(n -> n.startsWith(prefix));
            assertThat(KernelLeftovers.links()).doesNotContain(said.get("link"));
            assertThat(sleeper.onExit().get(10, TimeUnit.SECONDS).isAlive()).isFalse();
        } finally {
            owner.destroyForcibly();
            owner.waitFor(10, TimeUnit.SECONDS);
            KernelLeftovers.sweep();
            if (said.containsKey("sleeper")) {
                ProcessHandle.of(Long.parseLong(said.get("sleeper"))).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    private static boolean deviceIn(String namespace) {
        return io.pgresilience.support.Command.of(Ip.tool("ip"), "-n", namespace, "link", "show", PacketDelay.DEVICE).run().exitCode() == 0;
    }
}
