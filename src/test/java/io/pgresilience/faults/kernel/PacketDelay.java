package io.pgresilience.faults.kernel;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import io.pgresilience.support.LabException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Latency on a host's open connections where the kernel has no netem: the kernel routes what the host sends to some
 * peers into a TUN device of the host's namespace; this JVM reads each packet from the device, holds it for the delay
 * and writes it back, and the kernel forwards it to the peer. Nothing stands on the TCP path: the connections stay the
 * host's and the peer's own, their packets are only late (the peer's kernel sees the round trip grow, retransmissions
 * are real), so a connection opened before the fault is slowed as one opened after it. What the peers send to the host
 * is not held: the latency is "downstream", as the proxies' latency toxic is.
 *
 * <p>The device is made inside the host's namespace by a thread that enters it ({@code setns}) for that one call; it is
 * not persistent, so it is gone when {@link #close()} closes its descriptor or the JVM dies. The routing: a rule per
 * peer (locally sent packets to the peer look up table {@value #TABLE}, whose default route is the device); in the
 * host's namespace forwarding is on and the device accepts packets with the host's own source address.
 */
final class PacketDelay implements AutoCloseable {

    static final int TABLE = 100;
    static final int PRIORITY = 100;
    static final String DEVICE = "delay0";

    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final int O_NONBLOCK = 04000;
    private static final int O_CLOEXEC = 02000000;
    private static final int CLONE_NEWNET = 0x40000000;
    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TUN = 0x0001;
    private static final short IFF_NO_PI = 0x1000;
    private static final short POLLIN = 0x0001;
    private static final int EAGAIN = 11;
    private static final int EINTR = 4;

    /** The C library calls this needs, through JNA. */
    interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int ioctl(int fd, NativeLong request, byte[] ifreq) throws LastErrorException;

        int setns(int fd, int nstype) throws LastErrorException;

        int poll(byte[] fds, NativeLong nfds, int timeoutMs) throws LastErrorException;

        NativeLong read(int fd, byte[] buf, NativeLong count) throws LastErrorException;

        NativeLong write(int fd, byte[] buf, NativeLong count) throws LastErrorException;
    }

    private static volatile LibC libc;

    private final Host host;
    private final int fd;
    private final DelayQueue<Held> held = new DelayQueue<>();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong packets = new AtomicLong();
    private final Set<String> peers = new LinkedHashSet<>();
    private final Thread reader;
    private final Thread writer;
    private volatile long delayNanos;
    private volatile boolean closed;

    private PacketDelay(Host host, int fd) {
        this.host = host;
        this.fd = fd;
        this.reader = new Thread(this::readLoop, "kernel-delay-read-" + host.name());
        this.writer = new Thread(this::writeLoop, "kernel-delay-write-" + host.name());
        reader.setDaemon(true);
        writer.setDaemon(true);
    }

    /** A TUN device in the host's namespace, up, with its route table and the namespace's forwarding set; no peer yet. */
    static PacketDelay open(Host host) {
        int fd = openDeviceIn(host.namespace());
        PacketDelay delay = new PacketDelay(host, fd);
        try {
            String ns = host.namespace();
            Ip.ip("bring up " + DEVICE + " in " + ns, "-n", ns, "link", "set", DEVICE, "up");
            sysctl(host, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf." + DEVICE + ".rp_filter=0",
                    "net.ipv4.conf." + DEVICE + ".accept_local=1");
            Ip.ip("route into " + DEVICE + " in " + ns, "-n", ns, "route", "replace", "default", "dev", DEVICE, "table",
                    String.valueOf(TABLE));
            delay.reader.start();
            delay.writer.start();
            return delay;
        } catch (RuntimeException e) {
            delay.close();
            throw e;
        }
    }

    /**
     * Holds what the host sends to these peers for the delay (zero or no peer: holds nothing). Packets held under an
     * earlier delay keep their time; a peer no longer named is sent its held packets at once.
     */
    synchronized void set(Set<String> newPeers, Duration delay) {
        if (closed) {
            throw new IllegalStateException("the packet delay of " + host.name() + " is closed");
        }
        boolean on = !delay.isZero() && !newPeers.isEmpty();
        Set<String> wanted = on ? newPeers : Set.of();
        delayNanos = delay.toNanos();
        for (String p : List.copyOf(peers)) {
            if (!wanted.contains(p)) {
                Ip.ip("stop delaying " + p + " on " + host.name(), "-n", host.namespace(), "rule", "del", "to", p + "/32", "iif", "lo",
                        "lookup", String.valueOf(TABLE), "priority", String.valueOf(PRIORITY));
                peers.remove(p);
            }
        }
        for (String p : wanted) {
            if (peers.add(p)) {
                Ip.ip("delay packets to " + p + " on " + host.name(), "-n", host.namespace(), "rule", "add", "to", p + "/32", "iif",
                        "lo", "lookup", String.valueOf(TABLE), "priority", String.valueOf(PRIORITY));
            }
        }
        if (peers.isEmpty()) {
            release();
        }
    }

    /** The peers whose packets are held now, and for how long. */
    synchronized Set<String> peers() {
        return Set.copyOf(peers);
    }

    Duration delay() {
        return Duration.ofNanos(delayNanos);
    }

    /** How many packets went through the device so far. */
    long packets() {
        return packets.get();
    }

    /** Sends every held packet at once. */
    private void release() {
        List<Held> now = new ArrayList<>();
        held.drainTo(now);
        now.sort(null);
        for (Held h : now) {
            send(h.packet);
        }
    }

    private void readLoop() {
        byte[] buf = new byte[65536];
        byte[] pollfd = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putInt(fd).putShort(POLLIN).putShort((short) 0).array();
        while (!closed) {
            try {
                if (libc().poll(pollfd, new NativeLong(1), 100) <= 0) {
                    continue;
                }
                int n = libc().read(fd, buf, new NativeLong(buf.length)).intValue();
                if (n > 0) {
                    packets.incrementAndGet();
                    held.put(new Held(System.nanoTime() + delayNanos, sequence.incrementAndGet(), Arrays.copyOf(buf, n)));
                }
            } catch (LastErrorException e) {
                if (e.getErrorCode() != EAGAIN && e.getErrorCode() != EINTR && !closed) {
                    System.err.println("packet delay of " + host.name() + ": read failed (" + e.getMessage() + ")");
                    return;
                }
            }
        }
    }

    private void writeLoop() {
        while (!closed) {
            try {
                Held h = held.poll(100, TimeUnit.MILLISECONDS);
                if (h != null) {
                    send(h.packet);
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void send(byte[] packet) {
        if (closed) {
            return;
        }
        try {
            libc().write(fd, packet, new NativeLong(packet.length));
        } catch (LastErrorException e) {
            // a packet the kernel will not take back (the route went away): TCP sends it again
        }
    }

    /** Stops holding (the held packets are sent first), removes the rules; the device goes with its descriptor. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        try {
            if (!peers.isEmpty()) {
                set(Set.of(), Duration.ZERO);
            }
        } finally {
            closed = true;
            try {
                reader.join(1_000);
                writer.join(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                libc().close(fd);
            } catch (LastErrorException e) {
                // already gone
            }
        }
    }

    private static LibC libc() {
        if (libc == null) {
            synchronized (PacketDelay.class) {
                if (libc == null) {
                    libc = Native.load("c", LibC.class);
                }
            }
        }
        return libc;
    }

    /** Opens a new TUN device inside the namespace: a thread enters it for that one call, and ends. */
    private static int openDeviceIn(String namespace) {
        CompletableFuture<Integer> made = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            int ns = -1;
            int tun = -1;
            try {
                ns = libc().open("/var/run/netns/" + namespace, O_RDONLY | O_CLOEXEC);
                libc().setns(ns, CLONE_NEWNET);
                tun = libc().open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
                byte[] ifreq = new byte[40];
                byte[] name = DEVICE.getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(name, 0, ifreq, 0, name.length);
                ByteBuffer.wrap(ifreq, 16, 2).order(ByteOrder.nativeOrder()).putShort((short) (IFF_TUN | IFF_NO_PI));
                libc().ioctl(tun, new NativeLong(TUNSETIFF), ifreq);
                made.complete(tun);
            } catch (Throwable e) {
                if (tun >= 0) {
                    libc().close(tun);
                }
                made.completeExceptionally(e);
            } finally {
                if (ns >= 0) {
                    libc().close(ns);
                }
            }
        }, "kernel-delay-make-" + namespace);
        t.setDaemon(true);
        t.start();
        try {
            return made.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new LabException("kernel latency in " + namespace + ": no TUN device (/dev/net/tun, " + e.getCause().getMessage()
                    + "); -Dfaults=in-jvm or toxiproxy make latency with a proxy");
        } catch (java.util.concurrent.TimeoutException | InterruptedException e) {
            throw new LabException("kernel latency in " + namespace + ": making the TUN device did not end within 10 s");
        }
    }

    private static void sysctl(Host host, String... settings) {
        List<String> argv = new ArrayList<>(List.of(Ip.tool("sysctl"), "-q", "-w"));
        argv.addAll(List.of(settings));
        io.pgresilience.support.Command.of(host.command(argv)).check("set " + String.join(", ", settings) + " in " + host.namespace());
    }

    /** A packet and the time it is due. */
    private record Held(long dueNanos, long sequence, byte[] packet) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            Held o = (Held) other;
            int c = Long.compare(dueNanos, o.dueNanos);
            return c != 0 ? c : Long.compare(sequence, o.sequence);
        }
    }
}
