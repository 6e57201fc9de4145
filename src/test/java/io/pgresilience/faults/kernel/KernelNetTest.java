package io.pgresilience.faults.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgresilience.support.Command;
import io.pgresilience.support.LabException;
import io.pgresilience.support.Wait;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A kernel net is made and removed whole; a killed run's leftovers are swept; each fault verb and its undo work. */
class KernelNetTest {

    private final List<KernelNet> nets = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void needsTheKernel() {
        assumeTrue(KernelNet.unavailable().isEmpty(), () -> "skipped: " + KernelNet.unavailable().orElse(""));
    }

    @AfterEach
    void cleanUp() {
        processes.forEach(Process::destroyForcibly);
        nets.forEach(KernelNet::close);
    }

    private KernelNet net() {
        KernelNet net = KernelNet.create();
        nets.add(net);
        return net;
    }

    private Process start(List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        processes.add(p);
        return p;
    }

    private static List<String> namespacesNamed(String prefix) {
        return KernelLeftovers.namespaces().stream().filter(n -> n.startsWith(prefix)).toList();
    }

    @Test
    void aClosedNetLeavesNoNamespaceLinkOrProcess() throws IOException {
        KernelNet net = net();
        Host db = net.addHost("db");
        net.addHost("pooler");
        Process sleeper = start(db.command("sleep", "60"));
        assertThat(namespacesNamed(net.prefix())).containsExactlyInAnyOrder(net.prefix() + "sw", net.prefix() + "db", net.prefix() + "pooler");
        assertThat(KernelLeftovers.links()).contains(net.rootLink());
        assertThat(net.rootLink().length()).isLessThanOrEqualTo(15);

        net.close();

        assertThat(namespacesNamed(net.prefix())).isEmpty();
        assertThat(Command.of("ip", "netns", "list").check("ip netns list")).doesNotContain(net.prefix());
        assertThat(Command.of("ip", "-o", "link").check("ip -o link")).doesNotContain(net.rootLink());
        assertThat(sleeper.isAlive()).as("a process inside the closed net's namespace").isFalse();
        net.close(); // idempotent
    }

    @Test
    void theSweepRemovesTheNetOfADeadOwnerAndKeepsALiveOnes() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        assertThat(gone.waitFor(10, TimeUnit.SECONDS)).isTrue();
        KernelNet orphan = KernelNet.createOwnedBy(gone.pid());
        nets.add(orphan);
        Process inOrphan = start(orphan.addHost("db").command("sleep", "60"));
        KernelNet mine = net();
        mine.addHost("db");

        List<String> removed = KernelLeftovers.sweep();

        System.out.println("sweep: " + removed);
        assertThat(removed).anyMatch(r -> r.contains(orphan.rootLink())).anyMatch(r -> r.contains(orphan.prefix() + "db"));
        assertThat(namespacesNamed(orphan.prefix())).isEmpty();
        assertThat(KernelLeftovers.links()).doesNotContain(orphan.rootLink()).contains(mine.rootLink());
        assertThat(namespacesNamed(mine.prefix())).hasSize(2);
        assertThat(inOrphan.waitFor(10, TimeUnit.SECONDS)).as("a process inside the swept namespace ended").isTrue();
    }

    @Test
    void eachFaultHasItsUndoAndTheObserverAddressStaysOpen() throws Exception {
        KernelNet net = net();
        Host db = net.addHost("db");
        start(db.command("python3", "-c", "import socket,time\n"
                + "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 7000)); s.listen(16)\n"
                + "kept=[]\n"
                + "while True:\n    c,_=s.accept(); kept.append(c)\n"));
        Wait.until("listener in " + db.namespace(), Duration.ofSeconds(10), Duration.ofMillis(50),
                () -> connects(net.gatewayAddress(), db, 1_000), ok -> ok);

        db.setRefusing(net.gatewayAddress(), true);
        assertThat(db.faults()).containsExactly("kernel: nftables reject with tcp reset (in and out) between db ("
                + db.address() + ") and " + net.gatewayAddress() + ": new connections refused");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> connect(net.gatewayAddress(), db, 3_000)).isInstanceOf(ConnectException.class);
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms until the refusal").isLessThan(1_000);
        assertThat(connects(net.observerAddress(), db, 1_000)).as("the observer connects while the gateway is refused").isTrue();
        db.setRefusing(net.gatewayAddress(), false).setRefusing(net.gatewayAddress(), false);
        assertThat(db.faults()).isEmpty();
        assertThat(connects(net.gatewayAddress(), db, 1_000)).isTrue();

        try (Socket open = connect(net.gatewayAddress(), db, 1_000)) {
            db.setResetting(net.gatewayAddress(), true);
            assertThat(db.isResetting(net.gatewayAddress())).isTrue();
            open.setSoTimeout(3_000);
            open.getOutputStream().write(1); // answered with a reset: the read below fails at once, not at its timeout
            long t1 = System.nanoTime();
            assertThatThrownBy(() -> open.getInputStream().read()).as("an open connection is reset")
                    .isInstanceOf(java.net.SocketException.class).hasMessageContaining("reset");
            assertThat((System.nanoTime() - t1) / 1_000_000).as("ms until the reset").isLessThan(1_000);
        }
        db.setResetting(net.gatewayAddress(), false);

        try (Socket open = connect(net.gatewayAddress(), db, 1_000); Socket observer = connect(net.observerAddress(), db, 1_000)) {
            String mine = net.gatewayAddress() + ":" + open.getLocalPort();
            Wait.until("the server holds the gateway's connection " + mine, Duration.ofSeconds(5), Duration.ofMillis(20),
                    () -> db.connectionsWith(net.gatewayAddress()), c -> c.stream().anyMatch(l -> l.endsWith(" " + mine)));
            open.setSoTimeout(3_000);
            assertThat(db.resetConnectionsWith(net.gatewayAddress())).as("connections destroyed").isGreaterThanOrEqualTo(1);
            assertThat(db.connectionsWith(net.gatewayAddress())).as("the gateway's connections left").isEmpty();
            long t1 = System.nanoTime();
            assertThatThrownBy(() -> open.getInputStream().read()).as("an idle connection is reset without sending")
                    .isInstanceOf(java.net.SocketException.class).hasMessageContaining("reset");
            assertThat((System.nanoTime() - t1) / 1_000_000).as("ms until the reset").isLessThan(1_000);
            assertThat(db.connectionsWith(net.observerAddress())).as("the observer's connection").hasSize(1);
        }

        db.setPartitionedFrom(net.gatewayAddress(), true);
        assertThat(db.faults()).containsExactly("kernel: nftables drop (in and out) between db (" + db.address() + ") and "
                + net.gatewayAddress() + ": partition, open connections included");
        assertThat(connects(net.gatewayAddress(), db, 500)).as("the gateway connects across a partition").isFalse();
        assertThat(connects(net.observerAddress(), db, 1_000)).as("the observer connects across the gateway's partition").isTrue();
        net.heal();
        assertThat(net.faults()).isEmpty();
        assertThat(connects(net.gatewayAddress(), db, 1_000)).isTrue();

        // A port's partition cuts that port alone: the same peer still reaches the host's other services.
        db.setPartitionedFrom(net.gatewayAddress(), 7001, true);
        assertThat(db.faults()).containsExactly("kernel: nftables drop (in and out) between db (" + db.address() + ":7001) and "
                + net.gatewayAddress() + ": partition of that port, open connections included");
        assertThat(connects(net.gatewayAddress(), db, 1_000)).as("the gateway connects to another port").isTrue();
        db.setPartitionedFrom(net.gatewayAddress(), 7000, true);
        assertThat(db.isPartitionedFrom(net.gatewayAddress(), 7000)).isTrue();
        assertThat(connects(net.gatewayAddress(), db, 500)).as("the gateway connects across the port's partition").isFalse();
        db.setPartitionedFrom(net.gatewayAddress(), 7000, false).setPartitionedFrom(net.gatewayAddress(), 7001, false);
        assertThat(net.faults()).isEmpty();
        assertThat(connects(net.gatewayAddress(), db, 1_000)).isTrue();
    }

    @Test
    void latencyHoldsWhatTheHostSendsOnOpenConnectionsAndItsUndoSendsItOn() throws Exception {
        assumeTrue(java.nio.file.Files.exists(java.nio.file.Path.of("/dev/net/tun")), "skipped: no /dev/net/tun (kernel latency needs a TUN device)");
        KernelNet net = net();
        Host db = net.addHost("db");
        start(db.command("python3", "-c", "import socket,threading\n"
                + "def echo(c):\n    while True:\n        d=c.recv(100)\n        if not d: return\n        c.sendall(d)\n"
                + "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 7000)); s.listen(16)\n"
                + "while True:\n    c,_=s.accept(); threading.Thread(target=echo, args=(c,), daemon=True).start()\n"));
        Wait.until("listener in " + db.namespace(), Duration.ofSeconds(10), Duration.ofMillis(50),
                () -> connects(net.gatewayAddress(), db, 1_000), ok -> ok);
        try (Socket gateway = connect(net.gatewayAddress(), db, 1_000); Socket observer = connect(net.observerAddress(), db, 1_000)) {
            gateway.setTcpNoDelay(true);
            observer.setTcpNoDelay(true);
            assertThat(roundTripMs(gateway)).as("round trip before").isLessThan(100);

            db.setDelayed(List.of(net.gatewayAddress()), Duration.ofMillis(300));
            assertThat(db.faults()).containsExactly("kernel: every packet from db (" + db.address() + ") to " + net.gatewayAddress()
                    + " routed through a TUN device and held 300 ms by the suite before the kernel sends it on (no netem in this "
                    + "kernel): latency, open connections included");
            assertThat(roundTripMs(gateway, 1)).as("round trip on a connection opened before the latency").isBetween(300L, 600L);
            assertThat(roundTripMs(observer)).as("the observer's round trip").isLessThan(100);
            assertThat(connects(net.gatewayAddress(), db, 2_000)).as("a new connection across the latency").isTrue();

            // Held packets are sent at once when the latency goes: an answer on its way arrives well before 3 s.
            db.setDelayed(List.of(net.gatewayAddress()), Duration.ofSeconds(3));
            long before = db.packetsHeld();
            gateway.getOutputStream().write(1);
            long t0 = System.nanoTime();
            Wait.until("the echo is held", Duration.ofSeconds(2), Duration.ofMillis(5), db::packetsHeld, n -> n > before);
            db.setDelayed(List.of(net.gatewayAddress()), Duration.ZERO);
            gateway.setSoTimeout(2_000);
            assertThat(gateway.getInputStream().read()).isEqualTo(1);
            assertThat((System.nanoTime() - t0) / 1_000_000).as("ms until the held answer came").isLessThan(1_500);
            assertThat(db.faults()).isEmpty();
            assertThat(roundTripMs(gateway)).as("round trip after the undo").isLessThan(100);

            db.setDelayed(List.of(net.gatewayAddress()), Duration.ofMillis(300));
            net.heal();
            assertThat(net.faults()).isEmpty();
            assertThat(roundTripMs(gateway)).as("round trip after the heal").isLessThan(100);
        }
        db.setDelayed(List.of(net.gatewayAddress()), Duration.ofMillis(300));
        net.close();
        assertThat(Command.of("ip", "-o", "link").check("ip -o link")).doesNotContain(PacketDelay.DEVICE);
    }

    /** The fastest of three round trips of one byte (a busy machine may delay any single one). */
    private static long roundTripMs(Socket s) throws IOException {
        return roundTripMs(s, 3);
    }

    private static long roundTripMs(Socket s, int samples) throws IOException {
        s.setSoTimeout(5_000);
        long fastest = Long.MAX_VALUE;
        for (int i = 0; i < samples; i++) {
            long t0 = System.nanoTime();
            s.getOutputStream().write(7);
            assertThat(s.getInputStream().read()).isEqualTo(7);
            fastest = Math.min(fastest, (System.nanoTime() - t0) / 1_000_000);
        }
        return fastest;
    }

    @Test
    void badInputIsOneLine() {
        KernelNet net = net();
        assertThatThrownBy(() -> net.addHost("Bad Name")).isInstanceOf(LabException.class).hasMessageNotContaining("\n");
        Host db = net.addHost("db");
        assertThatThrownBy(() -> net.addHost("db")).isInstanceOf(LabException.class).hasMessageContaining("already");
        assertThatThrownBy(() -> db.setPartitionedFrom("not-an-address", true)).isInstanceOf(LabException.class)
                .hasMessageContaining("not an IPv4 address");
    }

    private static Socket connect(String from, Host to, int timeoutMs) throws IOException {
        Socket s = new Socket();
        try {
            s.bind(new InetSocketAddress(from, 0));
            s.connect(new InetSocketAddress(to.address(), 7000), timeoutMs);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    private static boolean connects(String from, Host to, int timeoutMs) {
        try (Socket s = connect(from, to, timeoutMs)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
