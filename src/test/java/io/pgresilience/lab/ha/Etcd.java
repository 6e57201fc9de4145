package io.pgresilience.lab.ha;

import io.pgresilience.lab.Deadlines;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.support.LabException;
import io.pgresilience.support.OsUser;
import io.pgresilience.support.Ports;
import io.pgresilience.support.Wait;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A one-member etcd (Debian's etcd-server, v3 API): the DCS where Patroni keeps its leader lock. */
public final class Etcd implements AutoCloseable {

    private final LabProcess process;
    private final int clientPort;
    private final String version;

    private Etcd(LabProcess process, int clientPort, String version) {
        this.process = process;
        this.clientPort = clientPort;
        this.version = version;
    }

    public static Path locate() {
        return LabProcess.locate("etcd", "etcd-server", "patroni");
    }

    public static Etcd start(LabDirectory directory, OsUser user, Deadlines deadlines) {
        Path binary = locate();
        Path dir = directory.path().resolve("etcd");
        int client = Ports.free();
        int peer = Ports.free();
        String peerUrl = "http://127.0.0.1:" + peer;
        String clientUrl = "http://127.0.0.1:" + client;
        LabProcess p = new LabProcess("etcd", List.of(binary.toString(), "--name", "lab", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl, "--listen-peer-urls", peerUrl,
                "--initial-advertise-peer-urls", peerUrl, "--initial-cluster", "lab=" + peerUrl, "--initial-cluster-state", "new",
                "--initial-cluster-token", directory.path().getFileName().toString()), dir.resolve("etcd.log"), directory, user).start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        String version;
        try {
            version = Wait.until("etcd answers on " + clientUrl, deadlines.operation(), deadlines.poll(), () -> {
                p.checkAlive("starting");
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(clientUrl + "/version"))
                            .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
                    return r.statusCode() == 200 ? r.body() : null;
                } catch (java.io.IOException e) {
                    return null;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LabException("interrupted while starting etcd");
                }
            }, v -> v != null);
        } catch (RuntimeException | AssertionError e) {
            p.close();
            throw e instanceof RuntimeException r ? r : new LabException("etcd did not start: " + e.getMessage() + "; " + p.tail(3));
        }
        String v = version.replaceAll(".*\"etcdserver\"\\s*:\\s*\"([^\"]+)\".*", "$1");
        return new Etcd(p, client, "etcd " + v);
    }

    /** host:port of its client API, for Patroni's etcd3 section. */
    public String clientAddress() {
        return "127.0.0.1:" + clientPort;
    }

    public String version() {
        return version;
    }

    @Override
    public void close() {
        process.close();
    }
}
