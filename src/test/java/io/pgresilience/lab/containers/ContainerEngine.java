package io.pgresilience.lab.containers;

import java.util.concurrent.TimeUnit;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Version;
import io.pgresilience.config.Settings;
import io.pgresilience.lab.Deadlines;
import io.pgresilience.lab.LabDirectory;
import io.pgresilience.support.LabException;
import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.testcontainers.DockerClientFactory;

/**
 * The container engine the lab runs on: the one DOCKER_HOST names (else Docker's default sockets), else a podman
 * service the suite starts on a socket of its own and stops at the end; without either, one clear line.
 */
public final class ContainerEngine implements AutoCloseable {

    private static final URI DEFAULT_SOCKET = URI.create("unix:///var/run/docker.sock");
    private static final Duration PING_TIMEOUT = Duration.ofSeconds(2);

    private final PodmanService ownService;
    private final String where;
    private final DockerClient client;
    private final String product;
    private final boolean podman;

    private ContainerEngine(PodmanService ownService, String where) {
        this.ownService = ownService;
        this.where = where;
        this.client = testcontainersClient(where);
        Version version = version(client, where);
        this.podman = version.getComponents() != null
                && version.getComponents().stream().anyMatch(c -> c.getName() != null && c.getName().contains("Podman"));
        this.product = (podman ? "podman " : "Docker ") + version.getVersion();
    }

    public static ContainerEngine connect(Settings settings, LabDirectory directory, Path logsDir, Deadlines deadlines) {
        List<URI> candidates = candidateSockets();
        for (URI engine : candidates) {
            if (EnginePing.answers(engine, PING_TIMEOUT)) {
                // Testcontainers finds this one by itself, by the same rules; only where a daemon on this host is
                // reached through a unix socket, the suite says so (Testcontainers would look for the host from a
                // container of its own, pulling an image, wherever /.dockerenv exists)
                if (EnginePing.daemonHostName(engine).filter(ContainerEngine::isThisHost).isPresent()) {
                    SuiteEngineStrategy.use(engine);
                }
                return new ContainerEngine(null, engine.toString());
            }
        }
        Optional<Path> podman = onPath("podman");
        if (podman.isEmpty()) {
            throw new LabException("lab=containers needs a container engine: none reachable at "
                    + candidates.stream().map(URI::toString).collect(Collectors.joining(", "))
                    + "; install podman (apt-get install podman runc) or Docker (see src/test/containers/README.md)");
        }
        if (System.getenv("DOCKER_HOST") != null) {
            System.err.println("pg-resilience: nothing answers at DOCKER_HOST=" + System.getenv("DOCKER_HOST")
                    + "; the lab starts podman's service on a socket of its own");
        }
        PodmanService service = PodmanService.start(podman.get(), Path.of(settings.text("lab.podman-conf")), directory,
                logsDir.resolve("podman-service.log"), deadlines);
        SuiteEngineStrategy.use(service.socketUri());
        try {
            return new ContainerEngine(service, "its own podman service at " + service.socketUri());
        } catch (RuntimeException | Error e) {
            service.close();
            throw e;
        }
    }

    /** DOCKER_HOST when it is set; else where Docker (system, rootless, Desktop) listens by default. */
    private static List<URI> candidateSockets() {
        String dockerHost = System.getenv("DOCKER_HOST");
        if (dockerHost != null && !dockerHost.isBlank()) {
            return List.of(URI.create(dockerHost.trim()));
        }
        List<URI> out = new ArrayList<>(List.of(DEFAULT_SOCKET));
        String runtimeDir = System.getenv("XDG_RUNTIME_DIR");
        if (runtimeDir != null && !runtimeDir.isBlank()) {
            out.add(URI.create("unix://" + Path.of(runtimeDir, "docker.sock")));
        }
        Path home = Path.of(System.getProperty("user.home"));
        out.add(URI.create("unix://" + home.resolve(".docker/run/docker.sock")));
        out.add(URI.create("unix://" + home.resolve(".docker/desktop/docker.sock")));
        return out;
    }

    private static DockerClient testcontainersClient(String where) {
        try {
            return DockerClientFactory.instance().client();
        } catch (RuntimeException e) {
            throw new LabException("lab=containers: Testcontainers cannot use the container engine at " + where + ": "
                    + e.getMessage(), e);
        }
    }

    private static Version version(DockerClient client, String where) {
        try {
            return client.versionCmd().exec();
        } catch (RuntimeException e) {
            throw new LabException("lab=containers: the container engine at " + where + " does not tell its version: "
                    + e.getMessage(), e);
        }
    }

    private static boolean isThisHost(String name) {
        try {
            String here = java.net.InetAddress.getLocalHost().getHostName();
            return name.equalsIgnoreCase(here) || name.equalsIgnoreCase(here.split("\\.")[0]);
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static Optional<Path> onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    public DockerClient client() {
        return client;
    }

    public boolean podman() {
        return podman;
    }

    /** Where containers publish their ports, as Testcontainers sees it (127.0.0.1 for the suite's own podman). */
    public String host() {
        return DockerClientFactory.instance().dockerHostIpAddress();
    }

    /** For reports: "podman 4.3.1 (its own podman service at unix:///…)". */
    String describe() {
        return product + " (" + where + ")";
    }

    /** A clear line instead of a pull error deep in Testcontainers when an image is neither here nor pullable. */
    public void requireImage(String image, String setting, Duration pullWithin) {
        try {
            client.inspectImageCmd(image).exec();
            return;
        } catch (NotFoundException e) {
            // not on this machine: try the registry
        }
        try {
            client.pullImageCmd(image).start().awaitCompletion(pullWithin.toSeconds(), TimeUnit.SECONDS);
            client.inspectImageCmd(image).exec();
        } catch (RuntimeException e) {
            throw new LabException("image " + image + " is not on this machine and cannot be pulled" + reason(e)
                    + "; build it with src/test/containers/build-images.sh, or choose another with -D" + setting + "=IMAGE");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while pulling " + image, e);
        }
    }

    /** docker-java hides podman's pull error behind a NullPointerException: then there is nothing worth quoting. */
    private static String reason(RuntimeException e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return root instanceof NullPointerException || message == null ? ""
                : " (" + message.lines().findFirst().orElse("") + ")";
    }

    @Override
    public void close() {
        if (ownService != null) {
            ownService.close();
        }
    }
}
