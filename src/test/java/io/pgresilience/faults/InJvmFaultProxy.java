package io.pgresilience.faults;

import io.pgresilience.support.Wait;
import java.net.BindException;
import java.time.Duration;
import io.pgresilience.support.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Toxiproxy work-alike inside the JVM: one listening port, one upstream, toxics per direction that act on
 * existing connections as soon as they are added and stop as soon as they are removed.
 * Blocking sockets and two pump threads per connection: the suite proxies tens of connections, not thousands.
 */
public final class InJvmFaultProxy implements FaultProxy, CommitCutter {

    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final int CHUNK = 32 * 1024;
    /** How long disable() waits for the accepting thread to let go of the listening socket (it takes microseconds). */
    private static final Duration ACCEPTOR_EXIT = Duration.ofSeconds(2);

    private final String name;
    private final InetAddress listenAddress;
    private final CopyOnWriteArrayList<Toxic> toxics = new CopyOnWriteArrayList<>();
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timers;
    private volatile InetSocketAddress upstream;
    private volatile ServerSocket server;
    private Thread acceptor;
    private volatile int port;
    private volatile boolean closed;
    private volatile CommitCut armed;

    private InJvmFaultProxy(String name, InetAddress listenAddress, int port, InetSocketAddress upstream) {
        this.name = name;
        this.listenAddress = listenAddress;
        this.port = port;
        this.upstream = upstream;
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "proxy-" + name + "-timer"));
    }

    /** A proxy on a free loopback port in front of host:port. */
    public static InJvmFaultProxy start(String name, String upstreamHost, int upstreamPort) {
        return start(name, InetAddress.getLoopbackAddress(), 0, upstreamHost, upstreamPort);
    }

    /** A proxy on the given address and port (0: any free port), e.g. 0.0.0.0 for containers to reach it. */
    public static InJvmFaultProxy start(String name, InetAddress listen, int port, String upstreamHost, int upstreamPort) {
        // A free port is chosen outside the ephemeral range: disable/enable listens again on it (Ports says why).
        int listenPort = port == 0 ? Ports.free(listen) : port;
        InJvmFaultProxy proxy = new InJvmFaultProxy(name, listen, listenPort, InetSocketAddress.createUnresolved(upstreamHost, upstreamPort));
        proxy.enable();
        return proxy;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String listenHost() {
        return listenAddress.getHostAddress();
    }

    @Override
    public int listenPort() {
        return port;
    }

    @Override
    public String upstreamHost() {
        return upstream.getHostString();
    }

    @Override
    public int upstreamPort() {
        return upstream.getPort();
    }

    @Override
    public synchronized void upstream(String host, int upstreamPort) {
        // As in Toxiproxy, where a new upstream stops and starts the proxy: connections to the old one are closed.
        InetSocketAddress next = InetSocketAddress.createUnresolved(host, upstreamPort);
        if (next.equals(upstream)) {
            return;
        }
        this.upstream = next;
        links.forEach(Link::close);
    }

    @Override
    public synchronized void enable() {
        if (server != null || closed) {
            return;
        }
        try {
            ServerSocket s = bindWithin(ACCEPTOR_EXIT);
            port = s.getLocalPort();
            server = s;
            acceptor = daemon(() -> acceptLoop(s), "proxy-" + name + "-accept");
            acceptor.start();
        } catch (IOException e) {
            throw new IllegalStateException("proxy " + name + " cannot listen on " + listenAddress.getHostAddress() + ":"
                    + port + ": " + e.getMessage(), e);
        }
    }

    /** The listening socket; a port just closed may stay in use while its acceptor thread ends, so binding is retried. */
    private ServerSocket bindWithin(Duration within) throws IOException {
        ServerSocket s = Wait.until("port " + port + " of proxy " + name + " is free again", port == 0 ? Duration.ZERO : within,
                Duration.ofMillis(20), this::tryBind, bound -> bound != null, false);
        if (s == null) {
            throw new BindException("Address already in use");
        }
        return s;
    }

    /** A socket listening on the proxy's address, or null while the port is still taken. */
    private ServerSocket tryBind() {
        try {
            ServerSocket s = new ServerSocket();
            try {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(listenAddress, port), 128);
                return s;
            } catch (BindException busy) {
                s.close();
                return null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void disable() {
        Thread stillAccepting;
        synchronized (this) {
            ServerSocket s = server;
            server = null;
            stillAccepting = acceptor;
            acceptor = null;
            closeQuietly(s);
            links.forEach(Link::close);
        }
        // close() returns while the acceptor may still sit in accept(), which holds the listening socket open: an
        // enable() right after would find the port in use. Outside the lock, as the acceptor may need it to finish.
        if (stillAccepting != null && stillAccepting != Thread.currentThread()) {
            try {
                stillAccepting.join(ACCEPTOR_EXIT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean enabled() {
        return server != null;
    }

    @Override
    public void addToxic(Toxic toxic) {
        if (toxics.stream().anyMatch(t -> t.name().equals(toxic.name()))) {
            throw new IllegalArgumentException("proxy " + name + " already has a toxic named " + toxic.name());
        }
        toxics.add(toxic);
        links.forEach(l -> l.toxicAdded(toxic));
    }

    @Override
    public void removeToxic(String toxicName) {
        Toxic removed = toxics.stream().filter(t -> t.name().equals(toxicName)).findFirst().orElse(null);
        toxics.removeIf(t -> t.name().equals(toxicName));
        // As Toxiproxy's timeout toxic does on its removal (its Cleanup closes the stub): a connection it held is closed,
        // not resumed with the bytes it swallowed missing.
        boolean closes = removed != null && removed.type() == ToxicType.TIMEOUT;
        links.forEach(l -> l.toxicRemoved(toxicName, closes));
    }

    @Override
    public List<Toxic> toxics() {
        return List.copyOf(toxics);
    }

    @Override
    public void reset() {
        for (Toxic t : List.copyOf(toxics)) {
            removeToxic(t.name());
        }
        enable();
    }

    @Override
    public int connectionCount() {
        return links.size();
    }

    @Override
    public void arm(CommitCut cut) {
        armed = cut;
    }

    @Override
    public void disarm(CommitCut cut) {
        if (armed == cut) {
            armed = null;
        }
        links.forEach(Link::releaseHeld);
    }

    @Override
    public void close() {
        closed = true;
        disable();
        timers.shutdownNow();
    }

    private void acceptLoop(ServerSocket s) {
        while (!s.isClosed()) {
            Socket client;
            try {
                client = s.accept();
            } catch (IOException e) {
                return; // closed by disable()
            }
            Link link = new Link(client);
            // Registering and disabling exclude each other: a connection accepted as the proxy is disabled is
            // either registered in time to be dropped by disable(), or sees the proxy disabled and is dropped here.
            synchronized (this) {
                if (server != s) {
                    closeQuietly(client);
                    continue;
                }
                links.add(link);
            }
            daemon(link::open, "proxy-" + name + "-open").start();
        }
    }

    private static Thread daemon(Runnable r, String threadName) {
        Thread t = new Thread(r, threadName + "-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
    }

    private static boolean contains(byte[] hay, int n, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= n; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing is best effort
            }
        }
    }

    /** One proxied connection: the client socket, the upstream socket, a pump per direction. */
    private final class Link {
        private final Socket client;
        private final Socket serverSide = new Socket();
        private final Map<String, Boolean> applies = new ConcurrentHashMap<>();
        private final Map<String, ScheduledFuture<?>> timersByToxic = new ConcurrentHashMap<>();
        private final AtomicLong[] passed = {new AtomicLong(), new AtomicLong()};
        private volatile boolean done;
        // What the commit cut watches (PgWire frames every connection; the rest is used only while a cut is armed).
        private final PgWire wire = new PgWire();
        private final Object heldLock = new Object();
        private final java.io.ByteArrayOutputStream held = new java.io.ByteArrayOutputStream();
        private final java.io.ByteArrayOutputStream toSend = new java.io.ByteArrayOutputStream();
        private byte[] carry = new byte[0];
        private volatile boolean marked;
        private boolean wrote;
        private boolean errored;
        private String lastTag;
        private int cursor;
        private boolean cutNow;

        Link(Socket client) {
            this.client = client;
        }

        void open() {
            InetSocketAddress target = upstream;
            try {
                client.setTcpNoDelay(true);
                serverSide.setTcpNoDelay(true);
                serverSide.connect(new InetSocketAddress(target.getHostString(), target.getPort()), 5_000);
            } catch (IOException e) {
                close(); // upstream down: the client sees its connection closed, as through Toxiproxy
                return;
            }
            toxics.forEach(this::toxicAdded);
            daemon(() -> pump(Direction.UPSTREAM, client, serverSide), "proxy-" + name + "-up").start();
            daemon(() -> pump(Direction.DOWNSTREAM, serverSide, client), "proxy-" + name + "-down").start();
        }

        void toxicAdded(Toxic toxic) {
            boolean active = toxic.toxicity() >= 1.0 || ThreadLocalRandom.current().nextDouble() < toxic.toxicity();
            // A link that opens while a toxic is being added hears of it twice; the first word counts.
            if (applies.putIfAbsent(toxic.name(), active) != null || !active) {
                return;
            }
            if (toxic.type() == ToxicType.RESET_PEER) {
                schedule(toxic, toxic.attribute("timeout"), () -> reset(toxic.stream()));
            } else if (toxic.type() == ToxicType.TIMEOUT && toxic.attribute("timeout") > 0) {
                schedule(toxic, toxic.attribute("timeout"), this::close);
            }
        }

        void toxicRemoved(String toxicName, boolean closesTheLink) {
            if (Boolean.TRUE.equals(applies.remove(toxicName)) && closesTheLink) {
                close();
                return;
            }
            ScheduledFuture<?> f = timersByToxic.remove(toxicName);
            if (f != null) {
                f.cancel(false);
            }
        }

        private void schedule(Toxic toxic, long delayMs, Runnable action) {
            timersByToxic.put(toxic.name(), timers.schedule(action, delayMs, TimeUnit.MILLISECONDS));
        }

        private boolean active(Toxic toxic) {
            return Boolean.TRUE.equals(applies.get(toxic.name()));
        }

        private void pump(Direction direction, Socket from, Socket to) {
            byte[] buffer = new byte[CHUNK];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (!done) {
                    int n = in.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    if (direction == Direction.UPSTREAM) {
                        watchClient(buffer, n);
                        if (!forward(direction, buffer, n, out)) {
                            break;
                        }
                    } else if (!downstream(buffer, n, out)) {
                        break;
                    }
                }
            } catch (IOException e) {
                // a reset or a close on either side ends the link
            }
            slowClose(direction);
            close();
        }

        /** The client's bytes: framed, and searched for the armed cut's marker (which marks this write's transaction). */
        private void watchClient(byte[] b, int n) {
            wire.client(b, 0, n);
            CommitCut cut = armed;
            if (cut == null || cut.hasFired() || marked || wire.opaque()) {
                return;
            }
            byte[] needle = cut.markerBytes();
            byte[] joint = new byte[carry.length + Math.min(n, needle.length - 1)];
            System.arraycopy(carry, 0, joint, 0, carry.length);
            System.arraycopy(b, 0, joint, carry.length, joint.length - carry.length);
            if (contains(joint, joint.length, needle) || contains(b, n, needle)) {
                marked = true;
            }
            int keep = Math.min(n, needle.length - 1);
            carry = java.util.Arrays.copyOfRange(b, n - keep, n);
        }

        /**
         * The server's bytes. While the marked write's transaction is open, its answers are held until each
         * ReadyForQuery: one that ends the transaction after a COMMIT (or a write committed on its own) fires the cut
         * (the answer is dropped and the client's connection reset); any other releases what was held.
         */
        private boolean downstream(byte[] buf, int n, OutputStream out) throws IOException {
            synchronized (heldLock) {
                CommitCut cut = armed;
                if (cut == null || cut.hasFired() || !marked) {
                    wire.server(buf, 0, n, (type, tag, status, end) -> { });
                    sendHeld(out);
                    return forward(Direction.DOWNSTREAM, buf, n, out);
                }
                cursor = 0;
                cutNow = false;
                wire.server(buf, 0, n, (type, tag, status, end) -> {
                    if (cutNow) {
                        return;
                    }
                    switch (type) {
                        case 'C' -> {
                            lastTag = tag;
                            wrote |= CommitCut.writes(tag);
                        }
                        case 'E' -> errored = true;
                        case 'Z' -> {
                            held.write(buf, cursor, end - cursor);
                            cursor = end;
                            if (status == 'I' && wrote && !errored && CommitCut.commits(lastTag)
                                    && cut.fire(name, lastTag, held.size())) {
                                cutNow = true;
                                return;
                            }
                            toSend.writeBytes(held.toByteArray());
                            held.reset();
                            if (status == 'I') {
                                marked = false;
                                wrote = false;
                                errored = false;
                            }
                            lastTag = null;
                        }
                        default -> {
                            // other messages pass as they are
                        }
                    }
                });
                if (cutNow) {
                    held.reset();
                    send(toSend, out);
                    reset(Direction.DOWNSTREAM);
                    return false;
                }
                (marked ? held : toSend).write(buf, cursor, n - cursor);
                return send(toSend, out);
            }
        }

        /** Passes on what the cut held back (it was disarmed, or fired on another connection). */
        void releaseHeld() {
            synchronized (heldLock) {
                marked = false;
                try {
                    sendHeld(client.getOutputStream());
                } catch (IOException e) {
                    close();
                }
            }
        }

        private void sendHeld(OutputStream out) throws IOException {
            if (held.size() > 0) {
                toSend.writeBytes(held.toByteArray());
                held.reset();
                send(toSend, out);
            }
        }

        private boolean send(java.io.ByteArrayOutputStream bytes, OutputStream out) throws IOException {
            if (bytes.size() == 0) {
                return true;
            }
            byte[] b = bytes.toByteArray();
            bytes.reset();
            return forward(Direction.DOWNSTREAM, b, b.length, out);
        }

        /** Applies the toxics of this direction to one chunk; false when the link must end. */
        private boolean forward(Direction direction, byte[] buffer, int n, OutputStream out) throws IOException {
            int length = n;
            boolean drop = false;
            boolean endAfter = false;
            for (Toxic toxic : toxics) {
                if (toxic.stream() != direction || !active(toxic)) {
                    continue;
                }
                switch (toxic.type()) {
                    case LATENCY -> {
                        long jitter = toxic.attribute("jitter");
                        long delay = toxic.attribute("latency")
                                + (jitter > 0 ? ThreadLocalRandom.current().nextLong(-jitter, jitter + 1) : 0);
                        sleepWhileActive(toxic, Math.max(0, delay));
                    }
                    case BANDWIDTH -> {
                        long rate = Math.max(1, toxic.attribute("rate"));
                        sleepWhileActive(toxic, length * 1000L / (rate * 1024L));
                    }
                    case TIMEOUT -> drop = true;
                    case LIMIT_DATA -> {
                        long allowed = toxic.attribute("bytes") - passed[direction.ordinal()].get();
                        if (allowed <= 0) {
                            return false;
                        }
                        if (length >= allowed) {
                            length = (int) allowed;
                            endAfter = true;
                        }
                    }
                    default -> {
                        // reset_peer acts by timer, slow_close at close
                    }
                }
            }
            if (!drop) {
                out.write(buffer, 0, length);
                out.flush();
                passed[direction.ordinal()].addAndGet(length);
            }
            return !endAfter;
        }

        private void sleepWhileActive(Toxic toxic, long millis) {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            // Sleep in slices so that removing the toxic releases the data at once.
            while (!done && active(toxic)) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 20));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        private void slowClose(Direction direction) {
            for (Toxic toxic : toxics) {
                if (toxic.type() == ToxicType.SLOW_CLOSE && toxic.stream() == direction && active(toxic)) {
                    sleepWhileActive(toxic, toxic.attribute("delay"));
                }
            }
        }

        /** A TCP RST to the peer on that side: SO_LINGER 0, then close. */
        void reset(Direction direction) {
            Socket victim = direction == Direction.DOWNSTREAM ? client : serverSide;
            try {
                victim.setSoLinger(true, 0);
            } catch (SocketException ignored) {
                // already closed
            }
            close();
        }

        void close() {
            if (done) {
                return;
            }
            done = true;
            links.remove(this);
            timersByToxic.values().forEach(f -> f.cancel(false));
            closeQuietly(client);
            closeQuietly(serverSide);
        }
    }
}
