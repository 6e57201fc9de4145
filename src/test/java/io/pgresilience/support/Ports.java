package io.pgresilience.support;

import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports: a free one for each server of the lab, or a clear error when a configured one is taken.
 *
 * <p>Free ports are chosen outside the range the OS hands to outgoing connections
 * ({@code net.ipv4.ip_local_port_range}): the lab's servers stop and listen again on the same port (a restarted
 * PostgreSQL, a re-enabled proxy), and a port of that range can be taken by anybody's connection in between.
 */
public final class Ports {

    private static final int LOWEST = 10_000;
    private static final int ATTEMPTS = 200;

    /**
     * Ports handed out in this JVM: two labs must not pick the same one before either binds it, nor try-bind one that a
     * lab's proxy is about to listen on again.
     */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private Ports() {
    }

    public static int free() {
        return free(InetAddress.getLoopbackAddress());
    }

    /** A port nobody listens on at the address, outside the ephemeral range where there is room for it. */
    public static int free(InetAddress address) {
        List<int[]> ranges = outsideEphemeral();
        if (ranges.isEmpty()) {
            return anyFree(address);
        }
        int total = ranges.stream().mapToInt(r -> r[1] - r[0] + 1).sum();
        for (int i = 0; i < ATTEMPTS; i++) {
            int pick = ThreadLocalRandom.current().nextInt(total);
            for (int[] r : ranges) {
                int size = r[1] - r[0] + 1;
                if (pick < size) {
                    if (!HANDED_OUT.contains(r[0] + pick) && bindable(address, r[0] + pick) && HANDED_OUT.add(r[0] + pick)) {
                        return r[0] + pick;
                    }
                    break;
                }
                pick -= size;
            }
        }
        return anyFree(address);
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

    private static boolean bindable(InetAddress address, int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(address, port));
            return true;
        } catch (IOException busy) {
            return false;
        }
    }

    private static int anyFree(InetAddress address) {
        try (ServerSocket s = new ServerSocket(0, 1, address)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new LabException("no free port on " + address.getHostAddress() + ": " + e.getMessage(), e);
        }
    }

    /** The port ranges from 10000 up that are not ephemeral; empty when the ephemeral range is unknown or leaves none. */
    static List<int[]> outsideEphemeral() {
        List<int[]> ranges = new ArrayList<>();
        try {
            // Read as a stream: Files.readString trusts the size procfs reports and returns a fragment.
            String range;
            try (var in = Files.newInputStream(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
                range = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            }
            String[] r = range.trim().split("\\s+");
            int low = Integer.parseInt(r[0]);
            int high = Integer.parseInt(r[1]);
            if (low - 1 - LOWEST >= 1000) {
                ranges.add(new int[] {LOWEST, low - 1});
            }
            if (65535 - (high + 1) >= 1000) {
                ranges.add(new int[] {high + 1, 65535});
            }
        } catch (IOException | RuntimeException notLinux) {
            // No such file (not Linux): let the OS choose.
        }
        return ranges;
    }
}
