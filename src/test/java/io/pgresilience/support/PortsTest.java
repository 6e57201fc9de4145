package io.pgresilience.support;

import org.junit.jupiter.api.Assumptions;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The lab's servers listen again on their ports after a restart: outgoing connections must not be able to take them. */
class PortsTest {

    @Test
    void freePortsAreOutsideTheEphemeralRange() throws Exception {
        Path file = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        Assumptions.assumeTrue(Files.exists(file), "Linux only");
        String[] range;
        try (InputStream in = Files.newInputStream(file)) {
            range = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim().split("\\s+");
        }
        int low = Integer.parseInt(range[0]);
        int high = Integer.parseInt(range[1]);
        Assumptions.assumeFalse(Ports.outsideEphemeral().isEmpty(), "no room outside " + low + "-" + high);
        for (int i = 0; i < 50; i++) {
            int port = Ports.free();
            assertThat(port < low || port > high).as("port %d outside the ephemeral range %d-%d", port, low, high).isTrue();
        }
    }
}
