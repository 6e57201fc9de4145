package io.pgresilience.bench;


import static org.assertj.core.api.Assertions.assertThat;

import io.pgresilience.faults.FaultProxy;
import io.pgresilience.faults.InJvmFaultProxy;
import io.pgresilience.faults.ToxiproxyServer;
import io.pgresilience.support.LabException;
import java.net.InetAddress;
import io.pgresilience.support.Command;
import io.pgresilience.lab.Deadlines;
import io.pgresilience.lab.EmbeddedCluster;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.lab.Leftovers;
import io.pgresilience.support.OsUser;
import io.pgresilience.lab.PgBinaries;
import io.pgresilience.lab.PgNode;
import io.pgresilience.support.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What the fault proxies cost: pgbench against one lab node directly, through the in-JVM proxy and through a real
 * Toxiproxy server, in the same run, alternating. A figure for the report, not a timed assertion. Run with
 * {@code mvn test -Pbenchmark}; without a Toxiproxy binary its rows say so.
 */
class ProxyBenchmark {

    private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+)");
    private static final Pattern LATENCY = Pattern.compile("latency average = ([0-9.]+) ms");

    @Test
    void pgbenchDirectAndThroughTheProxy() throws IOException {
        int seconds = Integer.getInteger("bench.seconds", 10);
        int clients = Integer.getInteger("bench.clients", 4);
        PgBinaries bin = PgBinaries.locate(System.getProperty("pg.bin", ""));
        OsUser user = OsUser.forPostgres(System.getProperty("lab.os-user", ""));
        LabDirectory dir = LabDirectory.create(LabDirectory.root(""), user, new Leftovers(bin, user), 1);
        String password = EmbeddedCluster.newSecret();
        PgNode node = new PgNode("bench", dir.nodes().resolve("bench"), Ports.free(), bin, user, password,
                new Deadlines(Duration.ofSeconds(60), Duration.ofMillis(100)));
        List<String> rows = new ArrayList<>();
        ToxiproxyServer toxiproxy = null;
        String noToxiproxy = null;
        try {
            toxiproxy = ToxiproxyServer.start(System.getProperty("toxiproxy.server", ""), dir, Duration.ofSeconds(30));
        } catch (LabException e) {
            noToxiproxy = e.getMessage();
        }
        try (InJvmFaultProxy proxy = InJvmFaultProxy.start("bench", node.host(), node.port())) {
            FaultProxy real = toxiproxy == null ? null : toxiproxy.start("bench", InetAddress.getLoopbackAddress(), node.host(), node.port());
            node.init().start();
            pgbench(bin, password, node.port(), "-i", "-s", "5", "-q", "postgres");
            rows.add("| path | mode | clients | tps | latency average |");
            rows.add("|---|---|---|---|---|");
            for (String mode : List.of("-S", "-N")) {
                for (int round = 1; round <= 2; round++) {
                    for (String path : List.of("direct", "in-JVM proxy", "Toxiproxy")) {
                        String what = (mode.equals("-S") ? "select-only" : "simple update") + " (round " + round + ")";
                        if (path.equals("Toxiproxy") && real == null) {
                            rows.add("| Toxiproxy | " + what + " | " + clients + " | not run: " + noToxiproxy + " | |");
                            continue;
                        }
                        int port = switch (path) {
                            case "direct" -> node.port();
                            case "in-JVM proxy" -> proxy.listenPort();
                            default -> real.listenPort();
                        };
                        String out = pgbench(bin, password, port, mode, "-T", Integer.toString(seconds), "-c",
                                Integer.toString(clients), "-j", "2", "postgres");
                        rows.add("| " + path + " | " + what + " | " + clients + " | " + find(TPS, out) + " | " + find(LATENCY, out) + " ms |");
                    }
                }
            }
        } finally {
            node.teardown();
            if (toxiproxy != null) {
                toxiproxy.close();
            }
            dir.delete();
        }
        String table = "# Fault proxy cost: direct, in-JVM proxy, Toxiproxy " + ToxiproxyServer.VERSION + " (pgbench, " + seconds
                + " s per line, " + clients + " clients, same run)\n\n"
                + String.join("\n", rows) + "\n";
        Files.createDirectories(Path.of("reports"));
        Files.writeString(Path.of("reports", "proxy-benchmark.md"), table);
        System.out.println(table);
        assertThat(rows).hasSize(14);
    }

    private static String pgbench(PgBinaries bin, String password, int port, String... args) {
        List<String> argv = new ArrayList<>(List.of(bin.path("pgbench"), "-h", "127.0.0.1", "-p", Integer.toString(port),
                "-U", PgNode.SUPERUSER));
        argv.addAll(List.of(args));
        return Command.of(argv).env(Map.of("PGPASSWORD", password)).timeout(Duration.ofMinutes(5)).check("pgbench");
    }

    private static String find(Pattern p, String text) {
        Matcher m = p.matcher(text);
        if (!m.find()) {
            throw new AssertionError("pgbench printed no " + p.pattern() + ": " + text);
        }
        return m.group(1);
    }
}
