package io.pgresilience.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real TCP server for the proxy's tests: it greets each connection, then echoes what it receives,
 * and counts the bytes it got, so that a test can see what crossed the proxy in each direction.
 */
final class TcpPeer implements AutoCloseable {

    static final byte[] GREETING = "hello\n".getBytes(StandardCharsets.US_ASCII);

    private final ServerSocket server;
    private final CopyOnWriteArrayList<Socket> accepted = new CopyOnWriteArrayList<>();
    final AtomicLong received = new AtomicLong();

    TcpPeer() throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread t = new Thread(this::acceptLoop, "tcp-peer");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    int connections() {
        return accepted.size();
    }

    /** Closes the server's side of every accepted connection (a FIN towards the proxy). */
    void closeAccepted() {
        for (Socket s : accepted) {
            try {
                s.close();
            } catch (IOException ignored) {
                // test helper
            }
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                s.setTcpNoDelay(true);
                accepted.add(s);
                Thread t = new Thread(() -> echo(s), "tcp-peer-echo");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void echo(Socket s) {
        byte[] buf = new byte[16 * 1024];
        try (s) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(GREETING);
            out.flush();
            int n;
            while ((n = in.read(buf)) >= 0) {
                received.addAndGet(n);
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // the test closed or reset it
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        closeAccepted();
    }
}
