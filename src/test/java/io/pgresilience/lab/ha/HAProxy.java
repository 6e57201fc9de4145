package io.pgresilience.lab.ha;

import io.pgresilience.lab.Deadlines;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.lab.NetworkPlace;
import io.pgresilience.lab.Pooler;
import io.pgresilience.support.Command;
import io.pgresilience.support.LabException;
import io.pgresilience.support.OsUser;
import io.pgresilience.support.Ports;
import io.pgresilience.support.Wait;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * HAProxy (Debian's haproxy) in front of a Patroni cluster, configured as Patroni's own haproxy.cfg template does: one
 * TCP listener for writes whose servers are the nodes, each health-checked on its Patroni REST API
 * ({@code option httpchk GET /primary}), sessions to a server shut down when it is marked down. Nobody re-points it:
 * it follows Patroni's leader by itself; {@link #pointAt} waits until it does.
 */
public final class HAProxy implements Pooler {

    /** A server behind it: where HAProxy connects (a fault proxy in front of the node), and the node's Patroni REST port. */
    public record Backend(String name, String host, int port, int checkPort) {
    }

    private final LabProcess process;
    private final Path socket;
    private final int port;
    private final Map<String, String> settings;
    private final String version;
    private final Deadlines deadlines;
    private final NetworkPlace place;

    private HAProxy(LabProcess process, Path socket, int port, Map<String, String> settings, String version, Deadlines deadlines,
                    NetworkPlace place) {
        this.place = place;
        this.process = process;
        this.socket = socket;
        this.port = port;
        this.settings = settings;
        this.version = version;
        this.deadlines = deadlines;
    }

    public static Path locate() {
        return LabProcess.locate("haproxy", "haproxy", "patroni");
    }

    /** @param checks the health check's timings (inter, fall, rise, …), as the run configures them */
    public static HAProxy start(LabDirectory directory, OsUser user, Deadlines deadlines, Map<String, String> checks,
                                List<Backend> backends) {
        return start(directory, user, deadlines, checks, backends, null);
    }

    /**
     * @param place a host of its own (kernel faults: it listens on the host's address; its admin socket is a file, out of
     *              reach of any network fault), or null for this host's loopback
     */
    public static HAProxy start(LabDirectory directory, OsUser user, Deadlines deadlines, Map<String, String> checks,
                                List<Backend> backends, NetworkPlace place) {
        Path binary = locate();
        String version = Command.of(binary.toString(), "-v").run().output().lines().findFirst().orElse("HAProxy").strip()
                .replaceFirst(" - https?://.*", "").replaceFirst("version ", "");
        Path dir = directory.path().resolve("haproxy");
        int port = place == null ? Ports.free() : 5000;
        Path socket = dir.resolve("admin.sock");
        String defaultServer = checks.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(" "));
        StringBuilder cfg = new StringBuilder("""
                global
                    maxconn 500
                    stats socket %s mode 600 level admin
                defaults
                    mode tcp
                    retries 0
                    timeout connect 2s
                    timeout client 1h
                    timeout server 1h
                    timeout check 1s
                listen primary
                    bind %s:%d
                    option httpchk GET /primary
                    http-check expect status 200
                    default-server %s on-marked-down shutdown-sessions
                """.formatted(socket, place == null ? "127.0.0.1" : place.address(), port, defaultServer));
        for (Backend b : backends) {
            cfg.append("    server ").append(b.name()).append(' ').append(b.host()).append(':').append(b.port())
                    .append(" maxconn 100 check port ").append(b.checkPort()).append('\n');
        }
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("haproxy.cfg"), cfg.toString());
            user.own(dir);
        } catch (IOException e) {
            throw new LabException("cannot write HAProxy's configuration in " + dir + ": " + e.getMessage(), e);
        }
        LabProcess p = new LabProcess("haproxy", List.of(binary.toString(), "-db", "-f", dir.resolve("haproxy.cfg").toString()),
                dir.resolve("haproxy.log"), directory, user, place).start();
        HAProxy h = new HAProxy(p, socket, port, new LinkedHashMap<>(checks), version, deadlines, place);
        try {
            Wait.until("HAProxy answers on its admin socket", deadlines.operation(), deadlines.poll(), () -> {
                p.checkAlive("starting");
                return h.servers();
            }, s -> !s.isEmpty());
        } catch (RuntimeException | AssertionError e) {
            p.close();
            throw e instanceof RuntimeException r ? r : new LabException("HAProxy did not start: " + e.getMessage() + "; " + p.tail(3));
        }
        return h;
    }

    /** Server address → status (UP, DOWN, …), from its admin socket's "show stat". */
    Map<String, String> servers() {
        String csv = command("show stat");
        List<String> lines = csv.lines().toList();
        if (lines.isEmpty() || !lines.get(0).startsWith("# ")) {
            return Map.of();
        }
        List<String> header = List.of(lines.get(0).substring(2).split(","));
        int sv = header.indexOf("svname");
        int status = header.indexOf("status");
        int addr = header.indexOf("addr");
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            if (f.length > Math.max(addr, status) && !f[sv].equals("FRONTEND") && !f[sv].equals("BACKEND")) {
                out.put(f[addr], f[status]);
            }
        }
        return out;
    }

    private String command(String command) {
        if (!Files.exists(socket)) {
            return "";
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8)));
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            StringBuilder sb = new StringBuilder();
            while (ch.read(buf) > 0) {
                buf.flip();
                sb.append(StandardCharsets.UTF_8.decode(buf));
                buf.clear();
            }
            return sb.toString();
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public String host() {
        return place == null ? "127.0.0.1" : place.address();
    }

    @Override
    public int port() {
        return port;
    }

    /** Nothing to re-point: waits until HAProxy's health checks send new connections to this server alone. */
    @Override
    public void pointAt(String host, int serverPort) {
        String wanted = host + ":" + serverPort;
        Wait.until("HAProxy routes to " + wanted + " alone (its servers' states)", deadlines.operation(), deadlines.poll(),
                this::servers, s -> "UP".equals(s.get(wanted))
                        && s.entrySet().stream().filter(e -> !e.getKey().equals(wanted)).noneMatch(e -> e.getValue().startsWith("UP")));
    }

    @Override
    public Map<String, String> settings() {
        return settings;
    }

    @Override
    public String kind() {
        return "HAProxy";
    }

    @Override
    public String describe() {
        return version + " routing to Patroni's leader (option httpchk GET /primary, on-marked-down shutdown-sessions)"
                + (place == null ? "" : ", on " + place.describe());
    }

    @Override
    public void close() {
        process.close();
    }
}
