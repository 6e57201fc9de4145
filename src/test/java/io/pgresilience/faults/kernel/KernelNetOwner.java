package io.pgresilience.faults.kernel;

import java.io.IOException;

/**
 * A program that owns a kernel net until it is killed, for the SIGKILL proof ({@code KernelLeftoversTest}): makes a
 * net with one host, starts {@code sleep} inside it (as a lab starts PostgreSQL there), holds the host's packets to the gateway (a
 * latency: its TUN device), prints the net's names and
 * "ready", then waits for its standard input to close.
 */
final class KernelNetOwner {

    private KernelNetOwner() {
    }

    public static void main(String[] args) throws IOException {
        KernelNet net = KernelNet.create();
        Host db = net.addHost("db");
        Process sleeper = new ProcessBuilder(db.command("sleep", "300")).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        db.setDelayed(java.util.List.of(net.gatewayAddress()), java.time.Duration.ofSeconds(1));
        System.out.println("delayed " + db.namespace());
        System.out.println("prefix " + net.prefix());
        System.out.println("link " + net.rootLink());
        System.out.println("sleeper " + sleeper.pid());
        System.out.println("ready");
        System.out.flush();
        while (System.in.read() >= 0) {
            // until the input closes or the process is killed
        }
        sleeper.destroyForcibly();
        net.close();
    }
}
