package io.pgresilience.faults;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each toxic proven at the socket level: which bytes cross, when, and how the connection ends.
 * Timing bounds are generous upper limits so a busy 2-core machine cannot flake them; lower bounds are exact.
 */
class InJvmFaultProxyTest {

    private TcpPeer peer;
    private InJvmFaultProxy proxy;

    @BeforeEach
    void start() throws IOException {
        peer = new TcpPeer();
        proxy = InJvmFaultProxy.start("test", "127.0.0.1", peer.port());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        peer.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", proxy.listenPort());
        s.setTcpNoDelay(true);
        s.setSoTimeout(5_000);
        assertThat(readExactly(s.getInputStream(), TcpPeer.GREETING.length)).isEqualTo(TcpPeer.GREETING);
        return s;
    }

    private static byte[] readExactly(InputStream in, int n) throws IOException {
        byte[] out = new byte[n];
        int off = 0;
        while (off < n) {
            int r = in.read(out, off, n - off);
            if (r < 0) {
                return Arrays.copyOf(out, off);
            }
            off += r;
        }
        return out;
    }

    /** Milliseconds for one small message to go to the echo server and back. */
    private static long roundTrip(Socket s) throws IOException {
        long start = System.nanoTime();
        s.getOutputStream().write(new byte[] {42});
        assertThat(s.getInputStream().read()).isEqualTo(42);
        return (System.nanoTime() - start) / 1_000_000;
    }

    @Test
    void passesBytesUnchangedBothWays() throws IOException {
        byte[] payload = new byte[256 * 1024];
        new Random(7).nextBytes(payload);
        try (Socket s = connect()) {
            Thread writer = new Thread(() -> {
                try {
                    s.getOutputStream().write(payload);
                } catch (IOException ignored) {
                    // the assertion below fails instead
                }
            });
            writer.start();
            assertThat(readExactly(s.getInputStream(), payload.length)).isEqualTo(payload);
        }
        assertThat(peer.received.get()).isEqualTo(payload.length);
    }

    @Test
    void latencyDelaysEachChunkUntilRemoved() throws IOException {
        try (Socket s = connect()) {
            assertThat(roundTrip(s)).isLessThan(150);
            proxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 300, 0));
            assertThat(roundTrip(s)).isBetween(300L, 1_500L);
            proxy.removeToxic("latency_downstream");
            assertThat(roundTrip(s)).isLessThan(150);
        }
    }

    @Test
    void latencyJitterStaysWithinItsRange() throws IOException {
        proxy.addToxic(Toxic.latency(Direction.UPSTREAM, 200, 100));
        try (Socket s = connect()) {
            long min = Long.MAX_VALUE;
            long max = 0;
            for (int i = 0; i < 8; i++) {
                long rt = roundTrip(s);
                min = Math.min(min, rt);
                max = Math.max(max, rt);
            }
            assertThat(min).isGreaterThanOrEqualTo(100);
            assertThat(max).isLessThan(1_300);
        }
    }

    @Test
    void timeoutZeroIsABlackholeThatKeepsTheSocketOpenUntilItIsRemoved() throws IOException {
        try (Socket s = connect()) {
            proxy.addToxic(Toxic.timeout(Direction.UPSTREAM, 0));
            proxy.addToxic(Toxic.timeout(Direction.DOWNSTREAM, 0));
            s.setSoTimeout(700);
            s.getOutputStream().write("lost".getBytes());
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            assertThat(peer.received.get()).isZero();
            assertThat(proxy.connectionCount()).isEqualTo(1);

            // Toxiproxy's timeout toxic closes the connections it held when it is removed (its Cleanup): so does this one
            proxy.removeToxic("timeout_upstream");
            proxy.removeToxic("timeout_downstream");
            s.setSoTimeout(5_000);
            try {
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            } catch (java.net.SocketException reset) {
                // closed by a reset: also closed
            }
        }
        try (Socket fresh = connect()) {
            assertThat(roundTrip(fresh)).isLessThan(500);
        }
    }

    @Test
    void timeoutClosesTheConnectionAfterItsDelay() throws IOException {
        try (Socket s = connect()) {
            long start = System.nanoTime();
            proxy.addToxic(Toxic.timeout(Direction.DOWNSTREAM, 400));
            s.getOutputStream().write(1);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThat((System.nanoTime() - start) / 1_000_000).isBetween(400L, 2_000L);
        }
    }

    @Test
    void blackholeHoldsANewConnectionWithoutAGreeting() throws IOException {
        proxy.addToxic(Toxic.timeout(Direction.DOWNSTREAM, 0));
        try (Socket s = new Socket("127.0.0.1", proxy.listenPort())) {
            s.setSoTimeout(700);
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void resetPeerSendsARstToTheClient() throws IOException {
        try (Socket s = connect()) {
            proxy.addToxic(Toxic.resetPeer(Direction.DOWNSTREAM, 0));
            assertThatThrownBy(() -> {
                s.getInputStream().read();
                s.getOutputStream().write(new byte[1024]);
                s.getInputStream().read();
            }).isInstanceOf(SocketException.class).hasMessageContaining("reset");
        }
    }

    @Test
    void resetPeerWaitsForItsTimeout() throws IOException {
        try (Socket s = connect()) {
            long start = System.nanoTime();
            proxy.addToxic(Toxic.resetPeer(Direction.DOWNSTREAM, 400));
            assertThat(roundTrip(s)).isLessThan(300);
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketException.class);
            assertThat((System.nanoTime() - start) / 1_000_000).isBetween(400L, 2_000L);
        }
    }

    @Test
    void bandwidthLimitsThroughput() throws IOException {
        proxy.addToxic(Toxic.bandwidth(Direction.DOWNSTREAM, 100));
        try (Socket s = connect()) {
            byte[] payload = new byte[60 * 1024];
            long start = System.nanoTime();
            s.getOutputStream().write(payload);
            assertThat(readExactly(s.getInputStream(), payload.length)).hasSize(payload.length);
            long ms = (System.nanoTime() - start) / 1_000_000;
            // 60 KB at 100 KB/s: at least 0.55 s (the first chunk may pass before the rate bites)
            assertThat(ms).isBetween(550L, 5_000L);
        }
    }

    @Test
    void slowCloseDelaysTheClose() throws IOException {
        proxy.addToxic(Toxic.slowClose(Direction.DOWNSTREAM, 500));
        try (Socket s = connect()) {
            long start = System.nanoTime();
            peer.closeAccepted();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThat((System.nanoTime() - start) / 1_000_000).isBetween(500L, 3_000L);
        }
    }

    @Test
    void limitDataPassesExactlyTheLimitThenCloses() throws IOException {
        try (Socket s = connect()) {
            proxy.addToxic(Toxic.limitData(Direction.DOWNSTREAM, TcpPeer.GREETING.length + 1000L));
            s.getOutputStream().write(new byte[4000]);
            byte[] got = readExactly(s.getInputStream(), 4000);
            assertThat(got).hasSize(1000);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void disabledRefusesNewAndDropsExistingThenEnablesOnTheSamePort() throws IOException {
        int port = proxy.listenPort();
        try (Socket s = connect()) {
            proxy.disable();
            assertThat(proxy.enabled()).isFalse();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
        }
        proxy.enable();
        assertThat(proxy.listenPort()).isEqualTo(port);
        try (Socket s = connect()) {
            assertThat(roundTrip(s)).isLessThan(500);
        }
    }

    @Test
    void upstreamToxicActsOnOneDirectionOnly() throws IOException {
        proxy.addToxic(Toxic.timeout(Direction.UPSTREAM, 0));
        try (Socket s = connect()) {  // the greeting flows downstream: it arrives
            s.setSoTimeout(700);
            s.getOutputStream().write(new byte[10]);
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            assertThat(peer.received.get()).isZero();
        }
    }

    @Test
    void repointingClosesOldConnectionsAndSendsNewOnesElsewhere() throws IOException {
        // Toxiproxy restarts a proxy whose upstream changes; a moved VIP or HAProxy's on-marked-down
        // shutdown-sessions (Patroni's template) end old sessions the same way.
        try (TcpPeer second = new TcpPeer(); Socket old = connect()) {
            proxy.upstream("127.0.0.1", second.port());
            assertThat(old.getInputStream().read()).isEqualTo(-1);
            try (Socket fresh = connect()) {
                roundTrip(fresh);
            }
            assertThat(second.connections()).isEqualTo(1);
            assertThat(peer.connections()).isEqualTo(1);
        }
    }

    @Test
    void toxicityZeroNeverApplies() throws IOException {
        proxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 1_000, 0).withToxicity(0));
        try (Socket s = connect()) {
            assertThat(roundTrip(s)).isLessThan(500);
        }
    }

    @Test
    void namesAreUniqueAndResetRemovesAll() throws IOException {
        proxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 1_000, 0));
        assertThatThrownBy(() -> proxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 5, 0)))
                .isInstanceOf(IllegalArgumentException.class);
        proxy.addToxic(Toxic.latency(Direction.DOWNSTREAM, 5, 0).named("second"));
        proxy.disable();
        proxy.reset();
        assertThat(proxy.toxics()).isEmpty();
        assertThat(proxy.enabled()).isTrue();
        try (Socket s = connect()) {
            assertThat(roundTrip(s)).isLessThan(500);
        }
    }

    @Test
    void enableRightAfterDisableListensAgainOnTheSamePort() throws IOException {
        // The acceptor blocked in accept() keeps the listening socket open for a moment after close() returns.
        int port = proxy.listenPort();
        for (int i = 0; i < 300; i++) {
            proxy.disable();
            proxy.enable();
        }
        assertThat(proxy.listenPort()).isEqualTo(port);
        try (Socket s = connect()) {
            assertThat(roundTrip(s)).isLessThan(500);
        }
    }

    @Test
    void noConnectionSurvivesADisableThatRacesWithItsAccept() throws Exception {
        for (int round = 0; round < 30; round++) {
            List<Socket> clients = new CopyOnWriteArrayList<>();
            Thread connector = new Thread(() -> {
                for (int i = 0; i < 20; i++) {
                    try {
                        clients.add(new Socket("127.0.0.1", proxy.listenPort()));
                    } catch (IOException refused) {
                        return;
                    }
                }
            });
            connector.start();
            proxy.disable();
            connector.join();
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.connectionCount() == 0);
            for (Socket c : clients) {
                c.setSoTimeout(2_000);
                // every connection that got in must be closed by the proxy: EOF or reset. One that got all the way
                // through before the disable may have heard the greeting first, but nothing after it; one that
                // survived the disable would leave the read waiting (a timeout: the test fails).
                int heard = 0;
                try {
                    InputStream in = c.getInputStream();
                    while (in.read() >= 0) {
                        heard++;
                        assertThat(heard).as("bytes heard on a connection the disable must end").isLessThanOrEqualTo(TcpPeer.GREETING.length);
                    }
                } catch (SocketException reset) {
                    // closed by a reset: also gone
                } finally {
                    c.close();
                }
            }
            proxy.enable();
        }
    }

    @Test
    void closedConnectionsLeaveTheProxy() throws IOException {
        try (Socket s = connect()) {
            assertThat(proxy.connectionCount()).isEqualTo(1);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.connectionCount() == 0);
    }
}
