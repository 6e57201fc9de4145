package io.pgresilience.faults.kernel;

import io.pgresilience.support.LabException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A network the run owns, made by the kernel: a "switch" namespace holding a Linux bridge, one namespace per host
 * joined to the bridge by a veth pair (each host its own address), and one veth into the root namespace carrying two
 * addresses: the gateway's and the suite's own observer's. Faults are nftables rules inside a host's namespace
 * ({@link Host}); a rule against the gateway's address leaves the observer's look at the database open.
 *
 * <p>Everything is named with the prefix {@code pgr<pid>-<n>-} (namespaces) or {@code pgr<pid>g<n>} (the root
 * namespace's link; 15 characters at most), the pid being the owning JVM's, so that {@link KernelLeftovers#sweep()}
 * can remove what a killed run left. Addresses come from 198.18.0.0/15 (RFC 2544, benchmarking): one /24 per network,
 * gateway .1, observer .2, hosts from .10. Nothing is added to the root namespace's firewall and no root-namespace
 * setting is changed.
 */
public final class KernelNet implements AutoCloseable {

    /** Every name this room makes starts with this. */
    static final String PREFIX = "pgr";
    static final Pattern NAMESPACE = Pattern.compile("^" + PREFIX + "(\\d+)-\\d+-[a-z0-9]+$");
    static final Pattern ROOT_LINK = Pattern.compile("^" + PREFIX + "(\\d+)g\\d+$");
    private static final Pattern HOST_NAME = Pattern.compile("[a-z][a-z0-9]{0,11}");
    private static final String SWITCH = "sw";
    private static final String BRIDGE = "br0";
    private static final int FIRST_HOST = 10;
    private static final int VIP = 5;
    private static final AtomicInteger NETS = new AtomicInteger();
    private static final Object ADDRESSING = new Object();

    private final long owner;
    private final int number;
    private final int subnet;
    private final Map<String, Host> hosts = new LinkedHashMap<>();
    private final List<String> namespaces = new ArrayList<>();
    private boolean rootLinkMade;
    private boolean closed;
    private Host vipHolder;

    private KernelNet(long owner, int number, int subnet) {
        this.owner = owner;
        this.number = number;
        this.subnet = subnet;
    }

    /**
     * One line naming what kernel faults need and what is missing, when something is: root (or CAP_NET_ADMIN and
     * CAP_SYS_ADMIN), {@code ip} and {@code nft}.
     */
    public static Optional<String> unavailable() {
        return reason(Ip.missing());
    }

    static Optional<String> reason(List<String> missing) {
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("kernel faults (-Dfaults=kernel) need root (or CAP_NET_ADMIN and CAP_SYS_ADMIN), ip and nft; missing: "
                + String.join(", ", missing) + "; -Dfaults=in-jvm (the default) and -Dfaults=toxiproxy need neither");
    }

    /** Preflight: throws one line (a {@link LabException}) when kernel faults cannot be made here. */
    public static void check() {
        unavailable().ifPresent(reason -> {
            throw new LabException(reason);
        });
    }

    /** A new network owned by this JVM: the switch and the root link, no host yet. */
    public static KernelNet create() {
        return createOwnedBy(ProcessHandle.current().pid());
    }

    /** A network named as if another process owned it (the leftover sweep's test plays a killed run with it). */
    static KernelNet createOwnedBy(long ownerPid) {
        check();
        KernelNet net;
        synchronized (ADDRESSING) {
            int number = NETS.incrementAndGet();
            net = new KernelNet(ownerPid, number, freeSubnet(ownerPid, number));
            try {
                net.build();
            } catch (RuntimeException e) {
                net.close();
                throw e;
            }
        }
        return net;
    }

    private void build() {
        String sw = namespace(SWITCH);
        Ip.ip("create namespace " + sw, "netns", "add", sw);
        namespaces.add(sw);
        Ip.ip("bring up lo in " + sw, "-n", sw, "link", "set", "lo", "up");
        Ip.ip("create bridge in " + sw, "-n", sw, "link", "add", BRIDGE, "type", "bridge");
        Ip.ip("bring up bridge in " + sw, "-n", sw, "link", "set", BRIDGE, "up");
        rootLinkMade = true;
        Ip.ip("create link " + rootLink(), "link", "add", rootLink(), "type", "veth", "peer", "name", "gw", "netns", sw);
        Ip.ip("attach gw to bridge", "-n", sw, "link", "set", "gw", "master", BRIDGE, "up");
        Ip.ip("address the gateway", "addr", "add", gatewayAddress() + "/24", "dev", rootLink());
        Ip.ip("address the observer", "addr", "add", observerAddress() + "/24", "dev", rootLink());
        Ip.ip("bring up " + rootLink(), "link", "set", rootLink(), "up");
    }

    /** The address that follows the primary (a VIP, as keepalived moves one): below the hosts' addresses. */
    public String vipAddress() {
        return address(VIP);
    }

    /**
     * Moves the VIP to a host: the address leaves the host that held it and joins this one; the root namespace forgets
     * the old host's hardware address for it, so that its next packet asks anew and the new host answers. Connections
     * to the VIP on the old host are gone with it: the gateway's next packet on one gets a reset from the new host.
     */
    public synchronized void moveVip(Host to) {
        if (vipHolder == to) {
            return;
        }
        if (vipHolder != null) {
            Ip.ipMay("-n", vipHolder.namespace(), "addr", "del", vipAddress() + "/24", "dev", "eth0");
        }
        Ip.ip("give the VIP to " + to.name(), "-n", to.namespace(), "addr", "add", vipAddress() + "/24", "dev", "eth0");
        Ip.ipMay("neigh", "flush", "to", vipAddress(), "dev", rootLink());
        vipHolder = to;
    }

    /** The host that holds the VIP now (null before the first move). */
    public synchronized Host vipHolder() {
        return vipHolder;
    }

    /** A host in a namespace of its own, joined to the switch, with the next address; its nftables table ready. */
    public synchronized Host addHost(String name) {
        if (closed) {
            throw new IllegalStateException("network " + prefix() + " is closed");
        }
        if (!HOST_NAME.matcher(name).matches() || name.equals(SWITCH)) {
            throw new LabException("kernel net host name '" + name + "' must be a lower-case letter then up to 11 letters or digits (not 'sw')");
        }
        if (hosts.containsKey(name)) {
            throw new LabException("kernel net " + prefix() + " already has a host '" + name + "'");
        }
        int index = hosts.size();
        if (FIRST_HOST + index > 254) {
            throw new LabException("kernel net " + prefix() + " is full (245 hosts)");
        }
        String ns = namespace(name);
        String sw = namespace(SWITCH);
        String port = "h" + index;
        String address = address(FIRST_HOST + index);
        Ip.ip("create namespace " + ns, "netns", "add", ns);
        namespaces.add(ns);
        Ip.ip("bring up lo in " + ns, "-n", ns, "link", "set", "lo", "up");
        Ip.ip("create link to " + ns, "-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns);
        Ip.ip("attach " + port + " to bridge", "-n", sw, "link", "set", port, "master", BRIDGE, "up");
        Ip.ip("address " + name, "-n", ns, "addr", "add", address + "/24", "dev", "eth0");
        Ip.ip("bring up eth0 in " + ns, "-n", ns, "link", "set", "eth0", "up");
        Host host = new Host(name, ns, address);
        host.prepareRules();
        hosts.put(name, host);
        return host;
    }

    public synchronized Host host(String name) {
        Host h = hosts.get(name);
        if (h == null) {
            throw new LabException("kernel net " + prefix() + " has no host '" + name + "' (hosts: " + String.join(", ", hosts.keySet()) + ")");
        }
        return h;
    }

    public synchronized List<Host> hosts() {
        return List.copyOf(hosts.values());
    }

    /** The gateway's address in the root namespace (the link's primary address: the kernel's default source). */
    public String gatewayAddress() {
        return address(1);
    }

    /** The suite's own observer address, on the same link: bind to it (pgjdbc {@code localSocketAddress}). */
    public String observerAddress() {
        return address(2);
    }

    /** This network's namespace prefix, e.g. {@code pgr4711-1-}. */
    public String prefix() {
        return PREFIX + owner + "-" + number + "-";
    }

    /** The veth's name in the root namespace, e.g. {@code pgr4711g1}. */
    public String rootLink() {
        return PREFIX + owner + "g" + number;
    }

    /** The namespaces this network made (the switch first). */
    public synchronized List<String> namespaces() {
        return List.copyOf(namespaces);
    }

    /** Every fault rule active on every host, for the evidence. */
    public synchronized List<String> faults() {
        List<String> all = new ArrayList<>();
        hosts.values().forEach(h -> all.addAll(h.faults()));
        return all;
    }

    /** Removes every fault on every host (idempotent). */
    public synchronized void heal() {
        hosts.values().forEach(Host::heal);
    }

    /** Kills the processes inside its namespaces, removes them and the root link; idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        List<String> failures = new ArrayList<>();
        for (Host h : hosts.values()) {
            try {
                h.close();
            } catch (RuntimeException e) {
                failures.add("latency of " + h.name() + " not stopped: " + e.getMessage());
            }
        }
        if (rootLinkMade) {
            KernelLeftovers.deleteLink(rootLink()).ifPresent(failures::add);
            rootLinkMade = false;
        }
        List<String> reversed = new ArrayList<>(namespaces);
        Collections.reverse(reversed);
        for (String ns : reversed) {
            KernelLeftovers.deleteNamespace(ns).ifPresent(failures::add);
        }
        namespaces.clear();
        hosts.clear();
        if (!failures.isEmpty()) {
            throw new LabException("kernel net " + prefix() + " not fully removed: " + String.join("; ", failures));
        }
    }

    @Override
    public String toString() {
        return "kernel net " + prefix() + " (" + address(0) + "/24, gateway " + gatewayAddress() + ", observer " + observerAddress() + ")";
    }

    private String namespace(String role) {
        return prefix() + role;
    }

    /** The address {@code last} in this network's /24 of 198.18.0.0/15. */
    private String address(int last) {
        return "198." + (18 + subnet / 256) + "." + (subnet % 256) + "." + last;
    }

    /** A /24 of 198.18.0.0/15 no root-namespace address uses, starting from one the owner's pid picks. */
    private static int freeSubnet(long ownerPid, int number) {
        Set<Integer> used = new HashSet<>();
        Matcher m = Pattern.compile("inet 198\\.(18|19)\\.(\\d+)\\.").matcher(Ip.ip("list addresses", "-4", "-o", "addr", "show"));
        while (m.find()) {
            used.add((Integer.parseInt(m.group(1)) - 18) * 256 + Integer.parseInt(m.group(2)));
        }
        int start = (int) Math.floorMod(ownerPid * 37 + number * 101L, 512L);
        for (int i = 0; i < 512; i++) {
            int candidate = (start + i) % 512;
            if (!used.contains(candidate)) {
                return candidate;
            }
        }
        throw new LabException("no free /24 left in 198.18.0.0/15 for a kernel net (512 in use)");
    }
}
