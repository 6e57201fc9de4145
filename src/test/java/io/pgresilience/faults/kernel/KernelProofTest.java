package io.pgresilience.faults.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgresilience.faults.Direction;
import io.pgresilience.faults.InJvmFaultProxy;
import io.pgresilience.faults.Toxic;
import io.pgresilience.support.Wait;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Why the suite needs kernel faults: a client protected only by TCP_USER_TIMEOUT (as libpq's {@code tcp_user_timeout}
 * protects a gateway) gets its error within about that timeout across a kernel partition, and none across the in-JVM
 * proxy's blackhole, whose own kernel keeps acknowledging the client's data. The server is an echo server in a host
 * namespace; the client is python3 (Java 17 cannot set TCP_USER_TIMEOUT).
 */
class KernelProofTest {

    private static final int PORT = 7000;
    private static final int USER_TIMEOUT_MS = 500;
    /** How long the client waits for its error (or an echo) after the fault: 4 times the user timeout. */
    private static final int LIMIT_MS = 4 * USER_TIMEOUT_MS;

    private static final String ECHO_SERVER = String.join("\n",
            "import socket, sys, threading",
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(16)",
            "def serve(c):",
            "    try:",
            "        while True:",
            "            d = c.recv(65536)",
            "            if not d: break",
            "            c.sendall(d)",
            "    except OSError: pass",
            "    finally: c.close()",
            "while True:",
            "    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()",
            "");

    /**
     * Connects (from a source address, or '-'), proves the echo, says "connected", waits for a line on stdin (the
     * fault is then in place), then sends and waits for the echo, again and again until an error or the limit. One
     * result line: "error ETIMEDOUT after N ms", "no error in N ms (K echoes)", "closed after N ms".
     */
    private static final String CLIENT = String.join("\n",
            "import errno, socket, sys, time",
            "host, port, src, uto, limit = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])",
            "s = socket.socket()",
            "s.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, uto)",
            "if src != '-': s.bind((src, 0))",
            "s.settimeout(5); s.connect((host, port)); s.sendall(b'ping')",
            "got = b''",
            "while len(got) < 4: got += s.recv(4 - len(got))",
            "print('connected', flush=True)",
            "sys.stdin.readline()",
            "t0 = time.monotonic(); echoes = 0",
            "def ms(): return int((time.monotonic() - t0) * 1000)",
            "try:",
            "    while ms() < limit:",
            "        s.settimeout(max(0.001, (limit - ms()) / 1000)); s.sendall(b'x')",
            "        if s.recv(1) == b'': print('closed after %d ms' % ms(), flush=True); sys.exit(0)",
            "        echoes += 1",
            "        if echoes % 10 == 0: time.sleep(0.05)",
            "    print('no error in %d ms (%d echoes)' % (ms(), echoes), flush=True)",
            "except OSError as e:",
            "    if e.errno is None: print('no error in %d ms (%d echoes)' % (ms(), echoes), flush=True)",
            "    else: print('error %s after %d ms' % (errno.errorcode.get(e.errno, e.errno), ms()), flush=True)",
            "");

    private static final Pattern ERROR = Pattern.compile("error (\\w+) after (\\d+) ms");

    private static KernelNet net;
    private static Host db;
    private static Process server;
    private final List<Process> clients = new ArrayList<>();

    /** Why the proof cannot run here, if it cannot: each test is then skipped with it. */
    private static Optional<String> unavailable() {
        return KernelNet.unavailable().or(() -> Ip.locate("python3").isPresent() ? Optional.empty()
                : Optional.of("the proof's client and server are python3, not found"));
    }

    @BeforeAll
    static void startTheServerInItsNamespace() throws IOException {
        if (unavailable().isPresent()) {
            return;
        }
        net = KernelNet.create();
        db = net.addHost("db");
        server = new ProcessBuilder(db.command("python3", "-c", ECHO_SERVER, Integer.toString(PORT))).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Wait.until("the echo server in " + db.namespace() + " listens", Duration.ofSeconds(10), Duration.ofMillis(50), () -> {
            if (!server.isAlive()) {
                throw new Wait.GiveUp(new IllegalStateException("the echo server exited with " + server.exitValue()));
            }
            return echoes(net.observerAddress());
        }, ok -> ok);
    }

    @BeforeEach
    void needsTheKernel() {
        assumeTrue(unavailable().isEmpty(), () -> "skipped: " + unavailable().orElse(""));
    }

    @AfterEach
    void stopClients() {
        clients.forEach(Process::destroyForcibly);
        if (net != null) {
            net.heal();
        }
    }

    @AfterAll
    static void removeTheNet() {
        if (server != null) {
            server.destroyForcibly();
        }
        if (net != null) {
            String prefix = net.prefix();
            net.close();
            assertThat(KernelLeftovers.namespaces()).noneMatch(n -> n.startsWith(prefix));
        }
    }

    /**
     * Both at once (the proxy's client waits out its limit while the kernel's gets its error): the same client, the same
     * server, a kernel partition on one path and the proxy's blackhole on the other. The partition also cuts the proxy from
     * the server (both leave from the gateway's address); the proxy's client cannot tell, which is the point.
     */
    @Test
    void aKernelPartitionEndsTheConnectionWithinTheUserTimeoutAndTheProxysBlackholeNever() throws Exception {
        try (InJvmFaultProxy proxy = InJvmFaultProxy.start("kernel-proof", db.address(), PORT)) {
            Client acrossTheKernel = client(db.address(), PORT, net.gatewayAddress());
            Client throughTheProxy = client(proxy.listenHost(), proxy.listenPort(), "-");
            db.setPartitionedFrom(net.gatewayAddress(), true);
            proxy.addToxic(Toxic.timeout(Direction.UPSTREAM, 0));
            proxy.addToxic(Toxic.timeout(Direction.DOWNSTREAM, 0));
            System.out.println("kernel proof: " + net.faults());
            assertThat(echoes(net.observerAddress())).as("the observer's own connection across the gateway's partition").isTrue();

            CompletableFuture<String> kernel = CompletableFuture.supplyAsync(() -> go(acrossTheKernel));
            String blackhole = go(throughTheProxy);
            String partition = kernel.get(LIMIT_MS + 20_000L, TimeUnit.MILLISECONDS);

            System.out.println("kernel proof: across a kernel partition, TCP_USER_TIMEOUT " + USER_TIMEOUT_MS + " ms: " + partition);
            System.out.println("kernel proof: across the in-JVM proxy's blackhole (timeout 0 both streams), TCP_USER_TIMEOUT "
                    + USER_TIMEOUT_MS + " ms: " + blackhole);
            Matcher m = ERROR.matcher(partition);
            assertThat(m.matches()).as("the client's result across the kernel partition: " + partition).isTrue();
            assertThat(m.group(1)).isEqualTo("ETIMEDOUT");
            assertThat(Long.parseLong(m.group(2))).as("ms until the error").isBetween(USER_TIMEOUT_MS * 8L / 10, USER_TIMEOUT_MS * 3L);
            assertThat(blackhole).as("the client's result across the proxy's blackhole").startsWith("no error in ")
                    .contains("(0 echoes)");
        }
    }

    /** A python3 client in the root namespace, connected and proven; it waits for {@link #go}. */
    private Client client(String host, int port, String source) throws IOException {
        Process p = new ProcessBuilder(Ip.tool("python3"), "-c", CLIENT, host, Integer.toString(port), source,
                Integer.toString(USER_TIMEOUT_MS), Integer.toString(LIMIT_MS)).redirectErrorStream(true).start();
        clients.add(p);
        Client c = new Client(p, new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
        String first = c.line(Duration.ofSeconds(10));
        assertThat(first).as("the client's first line").isEqualTo("connected");
        return c;
    }

    /** Tells the client the fault is in place; its result line. */
    private static String go(Client client) {
        try {
            Writer in = new OutputStreamWriter(client.process().getOutputStream(), StandardCharsets.UTF_8);
            in.write("go\n");
            in.flush();
            String result = client.line(Duration.ofMillis(LIMIT_MS + 10_000));
            assertThat(client.process().waitFor(5, TimeUnit.SECONDS)).as("the client ended after its result").isTrue();
            return result;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A client process and the one reader of its output. */
    private record Client(Process process, BufferedReader out) {

        /** Its next line, read with a deadline (a client that says nothing is killed). */
        String line(Duration within) {
            CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
                try {
                    String l = out.readLine();
                    return l == null ? "(no output; exit " + process.waitFor() + ")" : l;
                } catch (IOException e) {
                    return "(unreadable: " + e.getMessage() + ")";
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "(interrupted)";
                }
            });
            try {
                return line.get(within.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                process.destroyForcibly();
                throw new AssertionError("no line from the client within " + within.toMillis() + " ms", e);
            }
        }
    }

    /** One echo from the database host, from the given local address. */
    private static boolean echoes(String from) {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(from, 0));
            s.connect(new InetSocketAddress(db.address(), PORT), 1_000);
            s.setSoTimeout(1_000);
            s.getOutputStream().write(7);
            return s.getInputStream().read() == 7;
        } catch (IOException e) {
            return false;
        }
    }
}
