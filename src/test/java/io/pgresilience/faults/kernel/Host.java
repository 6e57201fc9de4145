package io.pgresilience.faults.kernel;

import io.pgresilience.support.Command;
import io.pgresilience.support.LabException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One host of a {@link KernelNet}: a network namespace with its own address. Its faults are nftables rules in its own
 * namespace, against a peer address, each with its undo:
 * <ul>
 *   <li>partitioned: every packet to and from the peer dropped, open connections included (the plan's "Block port");</li>
 *   <li>resetting: every TCP packet to and from the peer answered with a TCP reset;</li>
 *   <li>refusing: new connections between them rejected with a reset (a connect fails at once), open ones kept.</li>
 * </ul>
 * The rules stand in one table ({@code inet pgr}) whose chains match the peer against three sets, so a fault is one
 * set element and its undo removes it; what stands is read back from the kernel ({@link #faults()}).
 */
public final class Host {

    static final String TABLE = "pgr";
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern VERDICT = Pattern.compile("(accept|drop|reject( with [a-z0-9 -]+)?)$");
    private static final Pattern ELEMENTS = Pattern.compile("elements = \\{([^}]*)\\}");

    /** A fault kind: its nftables set and what it means. */
    private enum Kind {
        PARTITIONED("partitioned", "partition, open connections included"),
        RESETTING("resetting", "every TCP packet reset"),
        REFUSING("refusing", "new connections refused"),
        PARTITIONED_PORT("partitioned_port", "partition of that port, open connections included");

        final String set;
        final String meaning;

        Kind(String set, String meaning) {
            this.set = set;
            this.meaning = meaning;
        }
    }

    private final String name;
    private final String namespace;
    private final String address;
    private PacketDelay delay;

    Host(String name, String namespace, String address) {
        this.name = name;
        this.namespace = namespace;
        this.address = address;
    }

    void prepareRules() {
        String syn = "tcp flags & (syn | ack) == syn";
        Ip.nftScript(namespace, "nftables table in " + namespace, String.join("\n",
                "table inet " + TABLE + " {",
                "  set partitioned { type ipv4_addr; }",
                "  set resetting { type ipv4_addr; }",
                "  set refusing { type ipv4_addr; }",
                "  set partitioned_port { type ipv4_addr . inet_service; }",
                "  chain input {",
                "    type filter hook input priority 0; policy accept;",
                "    ip saddr @partitioned drop",
                "    ip saddr . tcp dport @partitioned_port drop",
                "    ip saddr @resetting meta l4proto tcp reject with tcp reset",
                "    ip saddr @refusing " + syn + " reject with tcp reset",
                "  }",
                "  chain output {",
                "    type filter hook output priority 0; policy accept;",
                "    ip daddr @partitioned drop",
                "    ip daddr . tcp sport @partitioned_port drop",
                // not the resets this host's input rule sends: rejected here they would never leave
                "    ip daddr @resetting tcp flags & rst == 0 reject with tcp reset",
                "    ip daddr @refusing " + syn + " reject with tcp reset",
                "  }",
                "}", ""));
    }

    public String name() {
        return name;
    }

    public String namespace() {
        return namespace;
    }

    /** The host's address on the network. */
    public String address() {
        return address;
    }

    /** The command line that runs a program inside this host's namespace ({@code ip netns exec NS ...}). */
    public List<String> command(List<String> argv) {
        return Ip.inNamespace(namespace, argv);
    }

    public List<String> command(String... argv) {
        return command(List.of(argv));
    }

    /** A {@link Command} that runs a program inside this host's namespace to completion. */
    public Command exec(String... argv) {
        return Command.of(command(argv));
    }

    /** Drops every packet between this host and the peer, both directions, open connections included; false heals it. */
    public Host setPartitionedFrom(String peer, boolean partitioned) {
        return set(Kind.PARTITIONED, peer, partitioned);
    }

    /** {@link #setPartitionedFrom(String, boolean)} for several peers at once: one change of the kernel's rules. */
    public synchronized Host setPartitionedFrom(java.util.Collection<String> peers, boolean partitioned) {
        peers.forEach(this::requireAddress);
        Set<String> present = elements(Kind.PARTITIONED);
        List<String> change = peers.stream().filter(p -> present.contains(p) != partitioned).distinct().toList();
        if (!change.isEmpty()) {
            Ip.nft(namespace, (partitioned ? "" : "undo ") + "partitioned " + change + " on " + name, partitioned ? "add" : "delete",
                    "element", "inet", TABLE, Kind.PARTITIONED.set, "{ " + String.join(", ", change) + " }");
        }
        return this;
    }

    public Host setPartitionedFrom(Host peer, boolean partitioned) {
        return setPartitionedFrom(peer.address(), partitioned);
    }

    /**
     * Drops every packet between the peer and this host's TCP port, both directions, open connections included, and
     * leaves the rest of their traffic alone (a service's link cut, the hosts still reach each other otherwise: a
     * replication link broken while the HA managers still talk); false heals it.
     */
    public Host setPartitionedFrom(String peer, int port, boolean partitioned) {
        requireAddress(peer);
        if (port <= 0 || port > 65535) {
            throw new LabException("kernel fault on " + name + ": port " + port + " is not a TCP port");
        }
        return set(Kind.PARTITIONED_PORT, peer + " . " + port, partitioned);
    }

    public boolean isPartitionedFrom(String peer, int port) {
        return elements(Kind.PARTITIONED_PORT).contains(peer + " . " + port);
    }

    /** Answers every TCP packet between this host and the peer with a reset; false undoes it. */
    public Host setResetting(String peer, boolean resetting) {
        return set(Kind.RESETTING, peer, resetting);
    }

    public Host setResetting(Host peer, boolean resetting) {
        return setResetting(peer.address(), resetting);
    }

    /** Rejects new TCP connections between this host and the peer (a connect fails at once); false undoes it. */
    public Host setRefusing(String peer, boolean refusing) {
        return set(Kind.REFUSING, peer, refusing);
    }

    public Host setRefusing(Host peer, boolean refusing) {
        return setRefusing(peer.address(), refusing);
    }

    public boolean isPartitionedFrom(String peer) {
        return elements(Kind.PARTITIONED).contains(peer);
    }

    public boolean isResetting(String peer) {
        return elements(Kind.RESETTING).contains(peer);
    }

    public boolean isRefusing(String peer) {
        return elements(Kind.REFUSING).contains(peer);
    }

    /**
     * Destroys this host's open TCP connections with the peer at once ({@code ss -K}, SOCK_DESTROY): the kernel sends
     * the peer a reset, as the proxy's reset_peer does, with no packet needed to cross first. A single act, no undo.
     *
     * @return how many connections were destroyed
     */
    public synchronized int resetConnectionsWith(String peer) {
        requireAddress(peer);
        String out = Command.of(command(Ip.tool("ss"), "-K", "-t", "-n", "-H", "state", "established", "dst", peer))
                .check("ss -K on " + name);
        List<String> left = connectionsWith(peer);
        if (!left.isEmpty()) {
            throw new LabException("kernel reset on " + name + ": ss -K left " + left.size() + " connection(s) with " + peer
                    + " open (a kernel without CONFIG_INET_DIAG_DESTROY?): " + String.join(", ", left));
        }
        return (int) out.lines().filter(l -> !l.isBlank()).count();
    }

    public int resetConnectionsWith(Host peer) {
        return resetConnectionsWith(peer.address());
    }

    /** This host's open TCP connections with the peer, as {@code ss} lists them (local and peer address:port). */
    public List<String> connectionsWith(String peer) {
        requireAddress(peer);
        String out = Command.of(command(Ip.tool("ss"), "-t", "-n", "-H", "state", "established", "dst", peer)).check("ss on " + name);
        return out.lines().filter(l -> !l.isBlank()).map(l -> String.join(" ", l.trim().split("\\s+"))).toList();
    }

    /**
     * Holds every packet this host sends to the peers for that long, open connections included: latency where the
     * kernel has no netem ({@link PacketDelay}: the kernel routes the packets through a TUN device, the suite holds
     * them); {@link Duration#ZERO} or no peer stops it and sends what is held at once.
     */
    public synchronized Host setDelayed(Collection<String> peers, Duration by) {
        peers.forEach(this::requireAddress);
        if (by.isNegative()) {
            throw new LabException("kernel latency on " + name + ": " + by + " is negative");
        }
        if (delay == null) {
            if (by.isZero() || peers.isEmpty()) {
                return this;
            }
            delay = PacketDelay.open(this);
        }
        delay.set(new LinkedHashSet<>(peers), by);
        return this;
    }

    /** How long this host holds its packets to the {@link #delayedPeers()} (zero when it holds none). */
    public synchronized Duration delay() {
        return delay == null || delay.peers().isEmpty() ? Duration.ZERO : delay.delay();
    }

    /** How many packets this host's latency has held so far. */
    public synchronized long packetsHeld() {
        return delay == null ? 0 : delay.packets();
    }

    /** The peers whose packets this host holds now (empty when none). */
    public synchronized Set<String> delayedPeers() {
        return delay == null ? Set.of() : delay.peers();
    }

    /** Removes every fault of this host (idempotent). */
    public synchronized Host heal() {
        for (Kind k : Kind.values()) {
            Ip.nft(namespace, "heal " + name, "flush", "set", "inet", TABLE, k.set);
        }
        if (delay != null) {
            delay.set(Set.of(), Duration.ZERO);
        }
        return this;
    }

    /** Stops holding packets and closes the TUN device (the namespace's removal does the rest); idempotent. */
    synchronized void close() {
        if (delay != null) {
            delay.close();
            delay = null;
        }
    }

    /**
     * The faults standing on this host, read from the kernel: the peers in each set and the verdicts of the rules that
     * match the set, e.g. "kernel: nftables drop (in and out) between db (198.18.5.10) and 198.18.5.1: partition, open
     * connections included".
     */
    public List<String> faults() {
        List<String> said = new ArrayList<>();
        String rules = ruleset();
        for (Kind k : Kind.values()) {
            Set<String> peers = elements(k);
            if (peers.isEmpty()) {
                continue;
            }
            String in = verdict(rules, "input", k);
            String out = verdict(rules, "output", k);
            String verdicts = in.equals(out) ? in + " (in and out)" : in + " (in), " + out + " (out)";
            for (String peer : peers) {
                String[] peerPort = peer.split(" \\. ");
                String here = peerPort.length == 2 ? address + ":" + peerPort[1] : address;
                said.add("kernel: nftables " + verdicts + " between " + name + " (" + here + ") and " + peerPort[0] + ": " + k.meaning);
            }
        }
        PacketDelay d;
        synchronized (this) {
            d = delay;
        }
        if (d != null) {
            for (String peer : d.peers()) {
                said.add("kernel: every packet from " + name + " (" + address + ") to " + peer + " routed through a TUN device "
                        + "and held " + d.delay().toMillis() + " ms by the suite before the kernel sends it on (no netem in "
                        + "this kernel): latency, open connections included");
            }
        }
        return said;
    }

    /** The verdict of the rule in the chain that matches the kind's set ("drop", "reject with tcp reset"), as listed. */
    private static String verdict(String rules, String chain, Kind kind) {
        int from = rules.indexOf("chain " + chain + " {");
        int to = from < 0 ? -1 : rules.indexOf("}", from);
        if (from < 0 || to < 0) {
            return "no " + chain + " chain";
        }
        for (String line : rules.substring(from, to).split("\n")) {
            int at = line.indexOf("@" + kind.set);
            if (at >= 0) {
                String rest = line.substring(at + kind.set.length() + 1).trim();
                Matcher m = VERDICT.matcher(rest);
                return m.find() ? m.group().trim() : rest;
            }
        }
        return "no rule";
    }

    /** The host's nftables ruleset as the kernel lists it, for a log. */
    public String ruleset() {
        return Ip.nft(namespace, "list rules of " + name, "list", "table", "inet", TABLE);
    }

    private void requireAddress(String peer) {
        if (peer == null || !IPV4.matcher(peer).matches()) {
            throw new LabException("kernel fault on " + name + ": '" + peer + "' is not an IPv4 address");
        }
    }

    private synchronized Host set(Kind kind, String peer, boolean on) {
        requireAddress(peer.split(" \\. ")[0]);
        boolean present = elements(kind).contains(peer);
        if (on && !present) {
            Ip.nft(namespace, kind.set + " " + peer + " on " + name, "add", "element", "inet", TABLE, kind.set, "{ " + peer + " }");
        } else if (!on && present) {
            Ip.nft(namespace, "undo " + kind.set + " " + peer + " on " + name, "delete", "element", "inet", TABLE, kind.set,
                    "{ " + peer + " }");
        }
        return this;
    }

    private Set<String> elements(Kind kind) {
        String listing = Ip.nft(namespace, "list " + kind.set + " on " + name, "list", "set", "inet", TABLE, kind.set);
        Set<String> out = new LinkedHashSet<>();
        Matcher m = ELEMENTS.matcher(listing);
        if (m.find()) {
            for (String e : m.group(1).split(",")) {
                if (!e.isBlank()) {
                    out.add(e.trim());
                }
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return name + " (" + address + ", namespace " + namespace + ")";
    }
}
