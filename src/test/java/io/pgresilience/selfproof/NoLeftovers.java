package io.pgresilience.selfproof;

import io.pgresilience.faults.ToxiproxyServer;
import io.pgresilience.support.LabException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgresilience.support.Command;
import io.pgresilience.lab.LabDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A run never leaves PostgreSQL servers, gateways, listening ports or data directories behind: after a normal run,
 * after a run with a failing scenario, and after a run whose JVM was killed with SIGKILL mid-scenario once a fresh
 * run has ended; the same for the container lab's containers, network and images. Each run is a real `mvn test` in a
 * child process. Run with {@code mvn test -Pno-leftovers}.
 */
class NoLeftovers {

    private static final Pattern LISTENER = Pattern.compile("users:\\(\\(\"([^\"]+)\",pid=(\\d+)");

    @Test
    void nothingOfTheSuiteOutlivesARun() throws Exception {
        Path logs = Path.of("target", "no-leftovers");
        Files.createDirectories(logs);

        int normal = mvn(logs.resolve("normal.log"), "@CP-02").waitFor();
        report("after a normal run (exit " + normal + ")", leftovers());
        assertThat(normal).as("the normal run passes").isZero();
        assertThat(leftovers()).as("left behind by a normal run").isEmpty();

        int failing = mvn(logs.resolve("failing.log"), "@CL-01", "-Dgateway.defects=500-for-db-errors").waitFor();
        report("after a run with a failing scenario (exit " + failing + ")", leftovers());
        assertThat(failing).as("the run with the 500 defect fails").isNotZero();
        assertThat(leftovers()).as("left behind by a failing run").isEmpty();

        Path killedLog = logs.resolve("killed.log");
        // The killed run uses a real Toxiproxy where one is installed, and PgBouncer where it is installed, so that their
        // processes are proven cleaned up too.
        boolean toxiproxy = toxiproxyInstalled();
        boolean pgbouncer = pgbouncerInstalled();
        List<String> options = new ArrayList<>();
        if (toxiproxy) {
            options.add("-Dfaults=toxiproxy");
        }
        if (pgbouncer) {
            options.add("-Dtopology=pgbouncer");
        }
        long suiteJvm = killMidFailover(killedLog, Duration.ofMinutes(3), options.toArray(String[]::new));
        List<String> afterKill = leftovers();
        report("right after SIGKILL of the suite's JVM (pid " + suiteJvm + ")", afterKill);
        assertThat(afterKill).as("a SIGKILL leaves the lab running (else this test proves nothing)").isNotEmpty();
        // Every lab the killed run had started (one per worker, -Dlabs) is among what it left.
        long labsStarted = Files.readString(killedLog).lines().filter(l -> l.matches("pg-resilience: lab \\d+ ready in .*")).count();
        long labDirs = afterKill.stream().filter(l -> l.startsWith("directory: ")).count();
        System.out.println("the killed run had started " + labsStarted + " lab(s); " + labDirs + " lab directory(ies) left");
        assertThat(labDirs).as("lab directories the killed run left, one per lab it started").isGreaterThanOrEqualTo(Math.max(1, labsStarted));
        if (toxiproxy) {
            long servers = Command.of("ps", "-eo", "args=").check("ps").lines()
                    .filter(l -> l.contains("pg-resilience/run-") && l.endsWith("toxiproxy.json")).count();
            System.out.println("the killed run left " + servers + " Toxiproxy server(s)");
            assertThat(servers).as("Toxiproxy servers the killed run left, one per lab it started").isGreaterThanOrEqualTo(Math.max(1, labsStarted));
        }

        if (pgbouncer) {
            long bouncers = afterKill.stream().filter(l -> l.startsWith("process: ") && l.contains("pgbouncer")).count();
            System.out.println("the killed run left " + bouncers + " PgBouncer process(es)");
            assertThat(bouncers).as("PgBouncer processes the killed run left, one per lab it started").isGreaterThanOrEqualTo(Math.max(1, labsStarted));
        }

        int fresh = mvn(logs.resolve("fresh.log"), "@CL-01").waitFor();
        report("after the fresh run that followed (exit " + fresh + ")", leftovers());
        assertThat(fresh).as("the fresh run passes").isZero();
        assertThat(leftovers()).as("left behind once the fresh run ended").isEmpty();
    }

    /**
     * The Patroni topology (where etcd, Patroni and HAProxy are installed): a SIGKILL of the suite's JVM while Patroni
     * fails over leaves etcd, both Patronis with their PostgreSQL, and HAProxy running; a fresh run stops them and removes
     * their data, and leaves nothing of its own.
     */
    @Test
    void nothingOfTheHaStackOutlivesAKilledRun() throws Exception {
        Assumptions.assumeTrue(haStackInstalled(), "etcd, Patroni or HAProxy is not installed (apt-get install etcd-server patroni haproxy)");
        Path logs = Path.of("target", "no-leftovers");
        Files.createDirectories(logs);
        Path killedLog = logs.resolve("patroni-killed.log");
        killMidFailover(killedLog, "@story and @failover", Duration.ofMinutes(3), "-Dtopology=patroni");
        List<String> afterKill = leftovers();
        report("of the Patroni topology right after SIGKILL", afterKill);
        long labsStarted = Math.max(1, Files.readString(killedLog).lines().filter(l -> l.matches("pg-resilience: lab \\d+ ready in .*")).count());
        for (String program : List.of("etcd", "patroni", "haproxy")) {
            long n = afterKill.stream().filter(l -> l.startsWith("process: ") && l.contains("/" + program + " ")).count();
            System.out.println("the killed run left " + n + " " + program + " process(es)");
            assertThat(n).as(program + " processes the killed run left (" + labsStarted + " lab(s))").isGreaterThanOrEqualTo(labsStarted);
        }
        int fresh = mvn(logs.resolve("patroni-fresh.log"), "@CL-01", "-Dtopology=patroni").waitFor();
        report("of the Patroni topology after the fresh run that followed (exit " + fresh + ")", leftovers());
        assertThat(fresh).as("the fresh Patroni run passes").isZero();
        assertThat(leftovers()).as("left behind once the fresh run ended").isEmpty();
    }

    /**
     * A gateway the suite started from a command line (-Dtarget=command; here the reference gateway as a plain java
     * command, as the README's worked example starts it): a SIGKILL of the suite's JVM mid-failover leaves that gateway
     * and the lab running; a fresh run stops the gateway's whole process tree and the lab, and leaves nothing of its own.
     */
    @Test
    void nothingOfACommandTargetOutlivesAKilledRun() throws Exception {
        Path logs = Path.of("target", "no-leftovers");
        Files.createDirectories(logs);
        Path classpath = Path.of("target", "gateway.classpath");
        Assumptions.assumeTrue(Files.exists(classpath), "no " + classpath + " (written by mvn test-compile)");
        String command = "java -Xmx256m -XX:+UseSerialGC -cp " + Path.of("target", "classes").toAbsolutePath() + ":"
                + Files.readString(classpath).strip() + " io.pgresilience.gateway.ReferenceGateway";
        String[] target = {"-Dtarget=command", "-Dgateway.profile=reference", "-Dgateway.command=" + command};
        Path killedLog = logs.resolve("command-killed.log");
        killMidFailover(killedLog, Duration.ofMinutes(3), target);
        List<String> afterKill = leftovers();
        report("of -Dtarget=command right after SIGKILL", afterKill);
        assertThat(afterKill).as("a SIGKILL leaves the gateway the suite started from its command (else this test proves nothing)")
                .anyMatch(l -> l.startsWith("process: ") && l.contains("io.pgresilience.gateway.ReferenceGateway"));
        int fresh = mvn(logs.resolve("command-fresh.log"), "@CL-01", target).waitFor();
        report("of -Dtarget=command after the fresh run that followed (exit " + fresh + ")", leftovers());
        assertThat(fresh).as("the fresh -Dtarget=command run passes").isZero();
        assertThat(leftovers()).as("left behind once the fresh run ended").isEmpty();
    }

    /** Whether a container engine answers ({@code <engine> info}); one that is not installed does not. */
    private static boolean engineAnswers(String engine) {
        try {
            return Command.of(engine, "info").run().exitCode() == 0;
        } catch (LabException e) {
            System.out.println("no-leftovers: " + engine + ": " + e.getMessage());
            return false;
        }
    }

    private static boolean haStackInstalled() {
        try {
            io.pgresilience.lab.ha.PatroniCluster.requirePrograms();
            io.pgresilience.lab.ha.HAProxy.locate();
            return true;
        } catch (LabException e) {
            System.out.println("no-leftovers: " + e.getMessage());
            return false;
        }
    }

    /**
     * The container lab on the engine that answers (Docker, else podman), with Toxiproxy in a container where its image
     * is here: after a SIGKILL mid-scenario its containers, network and gateway image are left; a fresh run removes them,
     * and leaves nothing of its own.
     */
    @Test
    void nothingOfTheContainerLabOutlivesAKilledRun() throws Exception {
        String engine = Stream.of("docker", "podman").filter(NoLeftovers::engineAnswers).findFirst().orElse(null);
        Assumptions.assumeTrue(engine != null, "no container engine answers (docker info, podman info)");
        Path logs = Path.of("target", "no-leftovers");
        Files.createDirectories(logs);
        boolean toxiproxy = Command.of(engine, "image", "inspect", "localhost/pg-resilience/toxiproxy:2.12.0").run().exitCode() == 0;
        String[] lab = toxiproxy ? new String[] {"-Dlab=containers", "-Dfaults=toxiproxy"} : new String[] {"-Dlab=containers"};
        Path killedLog = logs.resolve("containers-killed.log");
        killMidFailover(killedLog, Duration.ofMinutes(5), lab);
        List<String> afterKill = containerLeftovers(engine);
        report("of the container lab right after SIGKILL (" + engine + (toxiproxy ? ", Toxiproxy container" : "") + ")", afterKill);
        assertThat(afterKill).as("a SIGKILL leaves the container lab running (else this test proves nothing)")
                .anyMatch(l -> l.contains("pg-resilience-node1"));
        if (toxiproxy) {
            assertThat(afterKill).as("the killed run's Toxiproxy container").anyMatch(l -> l.contains("pg-resilience-toxiproxy"));
        }
        int fresh = mvn(logs.resolve("containers-fresh.log"), "@CL-01", lab).waitFor();
        report("of the container lab after the fresh run that followed (exit " + fresh + ")", containerLeftovers(engine));
        assertThat(fresh).as("the fresh container run passes").isZero();
        assertThat(containerLeftovers(engine)).as("containers, networks and images left once the fresh run ended").isEmpty();
        assertThat(leftovers()).as("processes and directories left once the fresh run ended").isEmpty();
    }

    /**
     * Starts FO-01 in a child `mvn test` and SIGKILLs the suite's JVM once the primary has failed; returns its pid.
     * Surefire may start its JVM through `/bin/sh -c`: the process to kill is the java one, not its shell.
     */
    private static long killMidFailover(Path log, Duration within, String... options) throws Exception {
        return killMidFailover(log, "@FO-01", within, options);
    }

    private static long killMidFailover(Path log, String tags, Duration within, String... options) throws Exception {
        Process killed = mvn(log, tags, options);
        await("the killed run is in the middle of a failover scenario").atMost(within).pollInterval(Duration.ofMillis(200))
                .until(() -> Files.exists(log) && Files.readString(log).contains("the primary fails"));
        ProcessHandle suiteJvm = killed.toHandle().descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
                .filter(p -> p.info().commandLine().map(c -> c.contains("surefirebooter")).orElse(false))
                .findFirst().orElseThrow(() -> new AssertionError("no surefire JVM found under the killed run"));
        Command.of("kill", "-KILL", Long.toString(suiteJvm.pid())).check("kill -KILL the suite's JVM");
        killed.waitFor();
        return suiteJvm.pid();
    }

    /** Every container, network and image of the engine that carries the suite's run labels. */
    private static List<String> containerLeftovers(String engine) {
        List<String> found = new ArrayList<>();
        String label = "label=io.pgresilience.owner";
        Command.of(engine, "ps", "-a", "--filter", label, "--format", "{{.Names}}").check(engine + " ps").lines()
                .filter(l -> !l.isBlank()).forEach(l -> found.add("container: " + l));
        Command.of(engine, "network", "ls", "--filter", label, "--format", "{{.Name}}").check(engine + " network ls").lines()
                .filter(l -> !l.isBlank()).forEach(l -> found.add("network: " + l));
        Command.of(engine, "images", "--filter", label, "--format", "{{.Repository}}:{{.Tag}}").check(engine + " images").lines()
                .filter(l -> !l.isBlank()).forEach(l -> found.add("image: " + l));
        return found;
    }

    private static boolean pgbouncerInstalled() {
        try {
            io.pgresilience.lab.PgBouncer.locate();
            return true;
        } catch (LabException e) {
            System.out.println("no-leftovers: the killed run goes direct to the database (" + e.getMessage() + ")");
            return false;
        }
    }

    private static boolean toxiproxyInstalled() {
        try {
            ToxiproxyServer.locate(System.getProperty("toxiproxy.server", ""));
            return true;
        } catch (LabException e) {
            System.out.println("no-leftovers: the killed run uses the in-JVM proxies (" + e.getMessage() + ")");
            return false;
        }
    }

    /** `mvn test` of the acceptance suite with a tag filter, in a child process, its output in a file. */
    private static Process mvn(Path log, String tags, String... more) throws IOException {
        List<String> argv = new ArrayList<>(List.of("mvn", "-o", "-B", "test", "-Dtest=RunCucumberTest",
                "-Dsurefire.failIfNoSpecifiedTests=false", "-Dsite=false", "-Dcucumber.filter.tags=" + tags));
        argv.addAll(List.of(more));
        return new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Every process, listening port, data directory and kernel net (namespace, link) of the suite that exists now. */
    static List<String> leftovers() {
        List<String> found = new ArrayList<>();
        List<Long> pids = new ArrayList<>();
        for (String line : Command.of("ps", "-eo", "pid=,args=").check("ps").split("\n")) {
            String l = line.strip();
            if (l.contains("pg-resilience/run-") || l.contains("io.pgresilience.gateway.ReferenceGateway") || l.contains("mcpgateway")) {
                if (!l.contains(" ps ")) {
                    found.add("process: " + abbreviate(l));
                    pids.add(Long.parseLong(l.split("\\s+")[0]));
                }
            }
        }
        for (String line : Command.of("ss", "-ltnpH").run().output().split("\n")) {
            Matcher m = LISTENER.matcher(line);
            if (m.find() && pids.contains(Long.parseLong(m.group(2)))) {
                found.add("listening: " + line.strip().split("\\s+")[3] + " (" + m.group(1) + ", pid " + m.group(2) + ")");
            }
        }
        if (io.pgresilience.faults.kernel.KernelNet.unavailable().isEmpty()) {
            io.pgresilience.faults.kernel.KernelLeftovers.namespaces().forEach(ns -> found.add("network namespace: " + ns));
            io.pgresilience.faults.kernel.KernelLeftovers.links().forEach(link -> found.add("link: " + link));
        }
        for (Path root : LabDirectory.allRoots(System.getProperty("lab.dir", ""))) {
            if (Files.isDirectory(root)) {
                try (Stream<Path> runs = Files.list(root)) {
                    runs.filter(p -> p.getFileName().toString().startsWith("run-")).forEach(p -> found.add("directory: " + p));
                } catch (IOException e) {
                    found.add("unreadable: " + root);
                }
            }
        }
        return found;
    }

    private static void report(String when, List<String> found) {
        System.out.println("no-leftovers check " + when + ": " + (found.isEmpty() ? "nothing" : "\n  " + String.join("\n  ", found)));
    }

    private static String abbreviate(String s) {
        // the head says what runs, the tail which class or data directory (a long classpath sits in between)
        return s.length() > 180 ? s.substring(0, 110) + "…" + s.substring(s.length() - 70) : s;
    }
}
