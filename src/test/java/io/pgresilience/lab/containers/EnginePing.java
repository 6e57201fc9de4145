package io.pgresilience.lab.containers;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Whether something listens where a Docker-compatible API is said to be (a unix socket or tcp://host:port). */
final class EnginePing {

    private EnginePing() {
    }

    static boolean answers(URI engine, Duration connectTimeout) {
        try {
            return switch (engine.getScheme()) {
                case "unix" -> unixSocketListens(Path.of(engine.getPath()));
                case "tcp", "http", "https" -> tcpListens(engine.getHost(), engine.getPort(), connectTimeout);
                default -> false;
            };
        } catch (IllegalArgumentException | IOException e) {
            return false;
        }
    }

    /**
     * The name of the host the engine behind a unix socket runs on (its {@code GET /info} "Name"), if it says. A
     * daemon whose name is this host's runs here, and publishes container ports on this host's loopback — even where
     * /.dockerenv makes Testcontainers believe it runs inside a container of that engine.
     */
    static Optional<String> daemonHostName(URI engine) {
        if (!"unix".equals(engine.getScheme())) {
            return Optional.empty();
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(Path.of(engine.getPath())));
            channel.write(ByteBuffer.wrap("GET /info HTTP/1.0\r\nHost: engine\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            while (buf.hasRemaining() && channel.read(buf) >= 0) {
                // HTTP/1.0: the engine closes the connection after the answer
            }
            String answer = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
            int body = answer.indexOf("\r\n\r\n");
            return body < 0 ? Optional.empty() : Optional.ofNullable(new ObjectMapper().readTree(answer.substring(body + 4))
                    .path("Name").textValue());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static boolean unixSocketListens(Path socket) throws IOException {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            return channel.connect(UnixDomainSocketAddress.of(socket));
        }
    }

    private static boolean tcpListens(String host, int port, Duration timeout) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port < 0 ? 2375 : port), (int) timeout.toMillis());
            return true;
        }
    }
}
