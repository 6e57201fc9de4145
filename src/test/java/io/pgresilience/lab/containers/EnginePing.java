package io.pgresilience.lab.containers;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
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
