package io.pgresilience.lab.ha;

import io.pgresilience.lab.Deadlines;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.lab.NetworkPlace;
import io.pgresilience.support.LabException;
import io.pgresilience.support.OsUser;
import io.pgresilience.support.Ports;
import io.pgresilience.support.Wait;
import java.nio.file.Path;
import java.util.List;

/** A one-member etcd (Debian's etcd-server, v3 API): the DCS where Patroni keeps its leader lock. */
public final class Etcd implements AutoCloseable {

    private final LabProcess process;
    private final String clientAddress;
    private final String version;

    private Etcd(LabProcess process, String clientAddress, String version) {
        this.process = process;
        this.clientAddress = clientAddress;
        this.version = version;
    }

    public static Path locate() {
        return LabProcess.locate("etcd", "etcd-server", "patroni");
    }

    public static Etcd start(LabDirectory directory, OsUser user, Deadlines deadlines) {
        return start(directory, user, deadlines, null);
    }

    /**
     * @param place a host of its own (kernel faults: its client API on the host's address, its peer URL on the host's
     *              loopback), or null for this host's loopback
     */
    public static Etcd start(LabDirectory directory, OsUser user, Deadlines deadlines, NetworkPlace place) {
        Path binary = locate();
        Path dir = directory.path().resolve("etcd");
        int client = place == null ? Ports.free() : 2379;
        int peer = place == null ? Ports.free() : 2380;
        String peerUrl = "http://127.0.0.1:" + peer;
        String clientUrl = "http://" + (place == null ? "127.0.0.1" : place.address()) + ":" + client;
        LabProcess p = new LabProcess("etcd", List.of(binary.toString(), "--name", "lab", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl, "--listen-peer-urls", peerUrl,
                "--initial-advertise-peer-urls", peerUrl, "--initial-cluster", "lab=" + peerUrl, "--initial-cluster-state", "new",
                "--initial-cluster-token", directory.path().getFileName().toString()), dir.resolve("etcd.log"), directory, user,
                place).start();
        PatroniApi api = new PatroniApi(clientUrl.replaceFirst("http://(.*):\\d+", "$1"), client, deadlines.operation(),
                place == null ? null : place.observerSource());
        String version;
        try {
            version = Wait.until("etcd answers on " + clientUrl, deadlines.operation(), deadlines.poll(), () -> {
                p.checkAlive("starting");
                return api.text("/version");
            }, v -> v != null);
        } catch (RuntimeException | AssertionError e) {
            p.close();
            throw e instanceof RuntimeException r ? r : new LabException("etcd did not start: " + e.getMessage() + "; " + p.tail(3));
        }
        String v = version.replaceAll(".*\"etcdserver\"\\s*:\\s*\"([^\"]+)\".*", "$1");
        return new Etcd(p, clientUrl.substring("http://".length()), "etcd " + v);
    }

    /** host:port of its client API, for Patroni's etcd3 section. */
    public String clientAddress() {
        return clientAddress;
    }

    public String version() {
        return version;
    }

    @Override
    public void close() {
        process.close();
    }
}
