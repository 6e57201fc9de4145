package io.pgresilience.lab;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Loopback ports: a free one for each server of the lab, or a clear error when a configured one is taken. */
public final class Ports {

    private Ports() {
    }

    public static int free() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new LabException("no free loopback port: " + e.getMessage(), e);
        }
    }

    /** The configured port, if it is free; 0 means any free port. */
    public static int requireFree(int port, String what) {
        if (port == 0) {
            return free();
        }
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return port;
        } catch (IOException e) {
            throw new LabException("port " + port + " for " + what + " is busy (" + e.getMessage()
                    + "); free it or choose another port");
        }
    }
}
