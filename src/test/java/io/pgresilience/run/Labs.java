package io.pgresilience.run;

import io.pgresilience.lab.Deadlines;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.lab.EmbeddedCluster;
import io.pgresilience.lab.PgBinaries;
import io.pgresilience.lab.Deployment;
import io.pgresilience.lab.PgBouncer;
import io.pgresilience.lab.ha.HAProxy;
import io.pgresilience.lab.ha.PatroniCluster;
import io.pgresilience.support.OsUser;
import io.pgresilience.support.LabException;

import io.pgresilience.config.Settings;
import io.pgresilience.faults.LabNetwork;
import io.pgresilience.faults.ProxyMaker;
import io.pgresilience.faults.ToxiproxyServer;
import io.pgresilience.faults.kernel.Host;
import io.pgresilience.faults.kernel.KernelNet;
import io.pgresilience.faults.kernel.KernelProxyMaker;
import io.pgresilience.lab.NetworkPlace;
import io.pgresilience.run.ContainerLab;
import io.pgresilience.config.DeploymentSpec;
import io.pgresilience.lab.deployed.DeployedLab;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.List;

/** Starts the lab the run asks for (-Dlab=embedded|containers). */
public final class Labs {

    public static final List<String> KINDS = List.of("embedded", "containers");

    private Labs() {
    }

    public static Lab start(String kind, Settings settings, LabDirectory directory) {
        Deadlines deadlines = new Deadlines(settings.millis("deadline.lab-ms"), settings.millis("poll.interval-ms"),
                settings.millis("lab.immediate-stop-grace-ms"));
        Deployment deployment = Deployment.of(settings.text("topology"));
        return switch (kind) {
            case "embedded" -> embedded(settings, directory, deadlines, deployment);
            case "containers" -> {
                if (deployment != Deployment.DIRECT) {
                    throw new LabException("topology=" + deployment.key() + " runs in the embedded lab (-Dlab=embedded)");
                }
                yield ContainerLab.start(settings, directory, deadlines);
            }
            default -> throw new LabException("unknown lab '" + kind + "' (known: " + String.join(", ", KINDS) + ")");
        };
    }

    public static final List<String> FAULT_ENGINES = List.of("in-jvm", "toxiproxy", "kernel");

    /** The topologies whose hosts kernel faults place in network namespaces. */
    static final List<Deployment> KERNEL_TOPOLOGIES = List.of(Deployment.DIRECT, Deployment.PGBOUNCER, Deployment.PATRONI);

    /** The fault engine named, checked before anything starts: known, and for kernel faults possible here. */
    static void checkFaults(Settings settings) {
        String faults = settings.text("faults");
        if (!FAULT_ENGINES.contains(faults)) {
            throw new LabException("unknown faults '" + faults + "' (known: " + String.join(", ", FAULT_ENGINES) + ")");
        }
        if (faults.equals("kernel")) {
            KernelNet.check();
            if (!settings.text("lab").equals("embedded")) {
                throw new LabException("-Dfaults=kernel runs the embedded lab (-Dlab=embedded); -Dlab=" + settings.text("lab")
                        + " runs with -Dfaults=in-jvm or -Dfaults=toxiproxy");
            }
            String topology = settings.text("topology");
            if (!topology.equals("all") && !KERNEL_TOPOLOGIES.contains(Deployment.of(topology))) {
                throw new LabException("-Dfaults=kernel runs the topologies " + KERNEL_TOPOLOGIES.stream().map(Deployment::key).toList()
                        + " so far; -Dtopology=" + topology + " runs with -Dfaults=in-jvm or -Dfaults=toxiproxy");
            }
        }
    }

    /** The deployment named by -Ddeployment (blank: none, the lab's own). */
    public static Optional<DeploymentSpec> deployment(Settings settings) {
        String name = settings.text("deployment");
        return name.isBlank() ? Optional.empty() : Optional.of(DeploymentSpec.load(name));
    }

    /**
     * A deployment named, checked before anything starts: known, for a target and lab that can run it, behind
     * PgBouncer, on in-JVM or Toxiproxy faults, every part installed in the version it needs. One line if not.
     */
    public static void checkDeployment(Settings settings) {
        Optional<DeploymentSpec> spec = deployment(settings);
        if (spec.isEmpty()) {
            return;
        }
        if (!settings.text("target").equals("contextforge")) {
            throw new LabException("-Ddeployment=" + spec.get().name() + " deploys ContextForge: use it with -Dtarget=contextforge");
        }
        if (!settings.text("lab").equals("embedded") || settings.text("faults").equals("kernel")) {
            throw new LabException("-Ddeployment=" + spec.get().name() + " runs in the embedded lab with -Dfaults=in-jvm or toxiproxy");
        }
        if (!settings.text("topology").equals("pgbouncer")) {
            throw new LabException("-Ddeployment=" + spec.get().name() + " runs behind its PgBouncer: -Dtopology=pgbouncer (its default), not "
                    + settings.text("topology"));
        }
        DeployedLab.check(spec.get(), pgbouncerBin(settings));
    }

    /** -Dpgbouncer.bin, or for a deployment that needs 1.24.1 the folder build-pgbouncer.sh builds it in. */
    static String pgbouncerBin(Settings settings) {
        String configured = settings.text("pgbouncer.bin");
        if (configured.isBlank() && !settings.text("deployment").isBlank()) {
            return "/usr/local/lib/pgbouncer-" + deployment(settings).get().value("pgbouncer", "version") + "/bin/pgbouncer";
        }
        return configured;
    }

    /** The fault proxies' maker: -Dfaults=in-jvm (default) or toxiproxy (a real Toxiproxy server per lab). */
    static ProxyMaker proxyMaker(Settings settings, LabDirectory directory, Deadlines deadlines) {
        return switch (settings.text("faults")) {
            case "in-jvm" -> ProxyMaker.IN_JVM;
            case "toxiproxy" -> ToxiproxyServer.start(settings.text("toxiproxy.server"), directory, deadlines.operation());
            case "kernel" -> throw new LabException("-Dfaults=kernel runs the embedded lab's direct topology so far");
            default -> throw new LabException("unknown faults '" + settings.text("faults") + "' (known: in-jvm, toxiproxy, kernel)");
        };
    }

    /**
     * etcd, two Patroni nodes (each streaming from the leader through a replication link in front of it), the fault
     * proxies in front of the nodes, and HAProxy routing to the leader through them.
     */
    private static Lab patroni(Settings settings, LabDirectory directory, Deadlines deadlines, PgBinaries bin, OsUser user) {
        return patroni(settings, directory, deadlines, bin, user, LabNetwork.onLoopback(proxyMaker(settings, directory, deadlines)),
                name -> null);
    }

    /**
     * The Patroni topology with kernel faults: etcd, each node (Patroni with its PostgreSQL) and HAProxy each a host of
     * its own; the gateway reaches HAProxy, HAProxy the nodes, the nodes etcd and each other, across real links.
     */
    private static Lab kernelPatroni(Settings settings, LabDirectory directory, Deadlines deadlines, PgBinaries bin, OsUser user) {
        KernelNet net = KernelNet.create();
        LabNetwork network;
        KernelProxyMaker maker;
        try {
            for (String node : List.of("node1", "node2")) {
                net.addHost(node);
            }
            maker = new KernelProxyMaker(net).withService(net.addHost("etcd")).withClient(net.addHost("haproxy"));
            network = LabNetwork.onLoopback(maker);
        } catch (RuntimeException | Error e) {
            net.close();
            throw e;
        }
        return patroni(settings, directory, deadlines, bin, user, network, name -> place(net, net.host(name)));
    }

    private static Lab patroni(Settings settings, LabDirectory directory, Deadlines deadlines, PgBinaries bin, OsUser user,
                               LabNetwork network, java.util.function.Function<String, NetworkPlace> placeOf) {
        try {
            PatroniCluster cluster = PatroniCluster.start(directory, bin, user, deadlines, settings.withPrefix("patroni."),
                    settings.millis("deadline.ha-settle-ms"), (node, port) -> {
                        NetworkPlace place = placeOf.apply(node);
                        return network.replicationEntryTo(node, place == null ? "127.0.0.1" : place.address(), port);
                    }, placeOf);
            try {
                network.inFrontOf(cluster);
                List<HAProxy.Backend> backends = cluster.nodes().stream().map(n -> {
                    var link = network.proxyFor(n);
                    return new HAProxy.Backend(n.name(), link.listenHost(), link.listenPort(), cluster.restPortOf(n));
                }).toList();
                network.behind(HAProxy.start(directory, user, deadlines, settings.withPrefix("haproxy."), backends,
                        placeOf.apply("haproxy")), cluster.primary());
            } catch (RuntimeException | Error e) {
                cluster.close();
                throw e;
            }
            return new Lab("embedded", cluster, network, false);
        } catch (RuntimeException | Error e) {
            network.close();
            throw e;
        }
    }

    /**
     * -Dfaults=kernel: each node a host of its own (a network namespace of a run-owned kernel net, its own address), the
     * gateway connecting to the nodes themselves, every network fault an nftables rule in the node's namespace.
     */
    private static Lab kernel(Settings settings, LabDirectory directory, Deadlines deadlines, Deployment deployment,
                              PgBinaries bin, OsUser user) {
        KernelNet.check();
        if (!KERNEL_TOPOLOGIES.contains(deployment)) {
            throw new LabException("-Dfaults=kernel runs the topologies " + KERNEL_TOPOLOGIES.stream().map(Deployment::key).toList()
                    + " so far; -Dtopology=" + deployment.key() + " runs with -Dfaults=in-jvm or -Dfaults=toxiproxy");
        }
        KernelNet net = KernelNet.create();
        LabNetwork network;
        Host poolerHost = null;
        try {
            for (String node : List.of("node1", "node2")) {
                net.addHost(node);
            }
            KernelProxyMaker maker = new KernelProxyMaker(net);
            if (deployment == Deployment.PGBOUNCER) {
                poolerHost = net.addHost("pgbouncer");
                maker.withClient(poolerHost);
            }
            network = LabNetwork.onLoopback(maker);
        } catch (RuntimeException | Error e) {
            net.close();
            throw e;
        }
        try {
            EmbeddedCluster cluster = EmbeddedCluster.start(directory, bin, user, deadlines, network.replicationRoute(),
                    name -> place(net, net.host(name)));
            network.inFrontOf(cluster);
            if (poolerHost != null) {
                startPgBouncer(settings, directory, deadlines, bin, user, network, cluster, place(net, poolerHost));
            }
            return new Lab("embedded", cluster, network, false);
        } catch (RuntimeException | Error e) {
            network.close();
            throw e;
        }
    }

    /**
     * PgBouncer in front of the primary, reached through the primary's link; in a place of its own (kernel faults) or on
     * loopback (null). The cluster is closed if it cannot start.
     */
    private static void startPgBouncer(Settings settings, LabDirectory directory, Deadlines deadlines, PgBinaries bin,
                                       OsUser user, LabNetwork network, EmbeddedCluster cluster, NetworkPlace place) {
        try {
            var primaryLink = network.proxyFor(cluster.primary());
            Optional<DeploymentSpec> spec = deployment(settings);
            Map<String, String> pool = settings.withPrefix("pgbouncer.");
            pool.remove("bin");
            if (spec.isPresent()) {
                // The deployment's PgBouncer: every setting as shipped (sizes scaled where it says so), its server flags on the nodes.
                DeployedLab.applyServerSettings(cluster, spec.get());
                pool = DeployedLab.pgbouncerSettings(spec.get());
            }
            network.behind(PgBouncer.start(directory, user, deadlines, bin, pool,
                    restartOnExit(settings), cluster.database(), cluster.gatewayRole(), cluster.gatewayPassword(),
                    primaryLink.listenHost(), primaryLink.listenPort(), place, PgBouncer.locate(pgbouncerBin(settings))), cluster.primary());
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** A kernel net's host as the lab floor sees a node's place. */
    private static NetworkPlace place(KernelNet net, Host host) {
        String a = host.address();
        String network = a.substring(0, a.lastIndexOf('.')) + ".0/24";
        return new NetworkPlace() {
            @Override
            public String address() {
                return a;
            }

            @Override
            public List<String> enter(List<String> argv) {
                return host.command(argv);
            }

            @Override
            public String observerSource() {
                return net.observerAddress();
            }

            @Override
            public String network() {
                return network;
            }

            @Override
            public String describe() {
                return host.name() + " " + a + " (network namespace " + host.namespace() + ")";
            }
        };
    }

    /** pooler.restart: unless-stopped (compose's policy for ContextForge's PgBouncer) or no (an exit stands). */
    static boolean restartOnExit(Settings settings) {
        String policy = settings.text("pooler.restart");
        return switch (policy) {
            case "unless-stopped" -> true;
            case "no" -> false;
            default -> throw new LabException("setting pooler.restart must be unless-stopped or no, got '" + policy + "'");
        };
    }

    private static Lab embedded(Settings settings, LabDirectory directory, Deadlines deadlines, Deployment deployment) {
        PgBinaries bin = PgBinaries.locate(settings.text("pg.bin"));
        OsUser user = OsUser.forPostgres(settings.text("lab.os-user"));
        if (deployment == Deployment.PGBOUNCER) {
            PgBouncer.locate(pgbouncerBin(settings)); // missing: one line, before anything starts
        }
        if (deployment == Deployment.PATRONI) {
            PatroniCluster.requirePrograms();
            HAProxy.locate();
            return settings.text("faults").equals("kernel") ? kernelPatroni(settings, directory, deadlines, bin, user)
                    : patroni(settings, directory, deadlines, bin, user);
        }
        if (settings.text("faults").equals("kernel")) {
            return kernel(settings, directory, deadlines, deployment, bin, user);
        }
        LabNetwork network = LabNetwork.onLoopback(proxyMaker(settings, directory, deadlines));
        try {
            EmbeddedCluster cluster = EmbeddedCluster.start(directory, bin, user, deadlines, network.replicationRoute());
            network.inFrontOf(cluster);
            if (deployment == Deployment.PGBOUNCER) {
                startPgBouncer(settings, directory, deadlines, bin, user, network, cluster, null);
            }
            return new Lab("embedded", cluster, network, false);
        } catch (RuntimeException | Error e) {
            network.close();
            throw e;
        }
    }
}
