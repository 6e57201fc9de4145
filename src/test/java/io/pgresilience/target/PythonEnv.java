package io.pgresilience.target;

import io.pgresilience.support.Command;
import io.pgresilience.support.LabException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Python environment ContextForge runs in: a Python found on this machine (PATH and pyenv versions count), the
 * gateway version it can run (1.1.0 needs 3.12+, 1.0.7 is the last for 3.11), and a cached virtual environment with
 * that pinned version installed from PyPI.
 */
public final class PythonEnv {

    /** A Python interpreter and its version. */
    public record Python(Path executable, int major, int minor, String version) {
        boolean atLeast(int maj, int min) {
            return major > maj || (major == maj && minor >= min);
        }
    }

    private static final Pattern VERSION = Pattern.compile("Python (\\d+)\\.(\\d+)\\.(\\d+)");

    private final Python python;
    private final String gatewayVersion;
    private final Path venv;

    private PythonEnv(Python python, String gatewayVersion, Path venv) {
        this.python = python;
        this.gatewayVersion = gatewayVersion;
        this.venv = venv;
    }

    /**
     * @param configuredPython -Dcontextforge.python, or blank to search
     * @param configuredVersion -Dcontextforge.version, or blank to choose by the Python found
     * @param cacheRoot where the virtual environments live (kept between runs)
     */
    public static PythonEnv prepare(String configuredPython, String configuredVersion, Path cacheRoot, Duration installWithin) {
        Python python = configuredPython.isBlank() ? find() : probe(Path.of(configuredPython))
                .orElseThrow(() -> new LabException("-Dcontextforge.python=" + configuredPython + " is not a working Python"));
        if (!python.atLeast(3, 11)) {
            throw new LabException("ContextForge needs Python 3.11 or newer; the newest found is " + python.version() + " ("
                    + python.executable() + "); install python3.12 or set -Dcontextforge.python=/path/to/python3.12");
        }
        String version = pinnedVersion(python.executable().toString(), configuredVersion);
        Path venv = cacheRoot.resolve("contextforge-" + version + "-py" + python.major() + "." + python.minor());
        PythonEnv env = new PythonEnv(python, version, venv);
        env.install(installWithin);
        return env;
    }

    /** The ContextForge version a run would use, without installing anything. */
    public static String pinnedVersion(String configuredPython, String configuredVersion) {
        if (!configuredVersion.isBlank()) {
            return configuredVersion;
        }
        Python python = configuredPython.isBlank() ? find() : probe(Path.of(configuredPython))
                .orElseThrow(() -> new LabException("-Dcontextforge.python=" + configuredPython + " is not a working Python"));
        return python.atLeast(3, 12) ? "1.1.0" : "1.0.7";
    }

    /** The newest Python 3 on PATH or under pyenv. */
    static Python find() {
        List<Path> candidates = new ArrayList<>();
        for (String name : List.of("python3.13", "python3.12", "python3.11", "python3")) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
                if (!dir.isBlank()) {
                    candidates.add(Path.of(dir, name));
                }
            }
        }
        Path pyenv = Path.of(System.getProperty("user.home"), ".pyenv", "versions");
        if (Files.isDirectory(pyenv)) {
            try (Stream<Path> versions = Files.list(pyenv)) {
                versions.forEach(v -> candidates.add(v.resolve("bin").resolve("python")));
            } catch (IOException ignored) {
                // no pyenv versions
            }
        }
        return candidates.stream().filter(Files::isExecutable).distinct().map(PythonEnv::probe).flatMap(Optional::stream)
                .filter(p -> p.major() == 3)
                .max(Comparator.comparingInt(Python::minor))
                .orElseThrow(() -> new LabException("no Python 3 found on PATH or under ~/.pyenv: ContextForge needs Python 3.11+ "
                        + "(3.12+ for 1.1.0); install python3.12 or set -Dcontextforge.python=/path/to/python"));
    }

    static Optional<Python> probe(Path executable) {
        try {
            Command.Result r = Command.of(executable.toString(), "--version").timeout(Duration.ofSeconds(10)).run();
            Matcher m = VERSION.matcher(r.output());
            if (r.ok() && m.find()) {
                return Optional.of(new Python(executable, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                        m.group(1) + "." + m.group(2) + "." + m.group(3)));
            }
        } catch (LabException ignored) {
            // not runnable
        }
        return Optional.empty();
    }

    private void install(Duration within) {
        Path marker = venv.resolve(".installed-" + gatewayVersion);
        if (Files.exists(marker) && Files.isExecutable(bin("mcpgateway"))) {
            return;
        }
        System.err.println("pg-resilience: installing mcp-contextforge-gateway[postgres]==" + gatewayVersion + " for Python "
                + python.version() + " into " + venv + " (once; cached afterwards)");
        Command.of(python.executable().toString(), "-m", "venv", "--clear", venv.toString())
                .timeout(Duration.ofMinutes(2)).check("creating a virtual environment in " + venv);
        Command.Result pip = Command.of(bin("pip").toString(), "install", "--disable-pip-version-check", "--quiet",
                        "mcp-contextforge-gateway[postgres]==" + gatewayVersion)
                .timeout(within).run();
        if (!pip.ok()) {
            String[] lines = pip.output().strip().split("\n");
            throw new LabException("cannot install mcp-contextforge-gateway[postgres]==" + gatewayVersion + " from PyPI (pip exit "
                    + pip.exitCode() + "): " + lines[lines.length - 1].strip());
        }
        try {
            Files.writeString(marker, gatewayVersion + "\n");
        } catch (IOException e) {
            throw new LabException("cannot write " + marker + ": " + e.getMessage(), e);
        }
    }

    public Path bin(String program) {
        return venv.resolve("bin").resolve(program);
    }

    public String gatewayVersion() {
        return gatewayVersion;
    }

    public Python python() {
        return python;
    }

    public Path venv() {
        return venv;
    }
}
