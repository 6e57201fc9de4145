package io.pgresilience.targets;

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
    private String gatewayVersion;
    private final Path venv;
    private final Source source;

    private PythonEnv(Python python, String gatewayVersion, Path venv, Source source) {
        this.python = python;
        this.gatewayVersion = gatewayVersion;
        this.venv = venv;
        this.source = source;
    }

    /**
     * Where ContextForge comes from when it is not the PyPI pin: a source tree (a git checkout, keyed by its commit and
     * whether it is dirty, with a hash of the changes; or an unpacked sdist, keyed by a hash of its files) or a wheel
     * (keyed by its hash). The key names the cached virtual environment, so a changed source gets a new one.
     */
    public record Source(Path path, String kind, String commit, boolean dirty, String key) {

        /** For the report: the path, and the commit of a checkout. */
        public String describe() {
            return switch (kind) {
                case "git" -> "git checkout " + path + " at commit " + commit + (dirty ? " (dirty: uncommitted changes)" : "");
                case "wheel" -> "wheel " + path + " (sha256 " + key.substring(key.indexOf('-') + 1) + ")";
                default -> "source tree " + path + " (not a git checkout; content sha256 " + key.substring(key.indexOf('-') + 1) + ")";
            };
        }

        /** What pip installs: the source with the postgres extra. */
        String requirement() {
            return path + "[postgres]";
        }

        public static Source of(String configured) {
            Path p = Path.of(configured).toAbsolutePath().normalize();
            if (Files.isRegularFile(p) && p.getFileName().toString().endsWith(".whl")) {
                return new Source(p, "wheel", null, false, "wheel-" + sha256(List.of(p), p.getParent()));
            }
            if (!Files.isDirectory(p) || !(Files.exists(p.resolve("pyproject.toml")) || Files.exists(p.resolve("setup.py")))) {
                throw new LabException("-Dcontextforge.source=" + configured + " is neither a source tree of mcp-context-forge "
                        + "(a directory with pyproject.toml) nor a wheel file (.whl)");
            }
            Command.Result head = Command.of("git", "-C", p.toString(), "rev-parse", "--show-toplevel", "HEAD")
                    .timeout(Duration.ofSeconds(30)).run();
            if (head.ok()) {
                String[] lines = head.output().strip().split("\n");
                String commit = lines[lines.length - 1].strip();
                String status = Command.of("git", "-C", p.toString(), "status", "--porcelain", "--untracked-files=normal", ".")
                        .timeout(Duration.ofSeconds(60)).check("git status in " + p);
                boolean dirty = !status.isBlank();
                String key = "git-" + commit.substring(0, 12);
                if (dirty) {
                    // A dirty tree's key also covers its changes: another edit gets another environment.
                    String diff = Command.of("git", "-C", p.toString(), "diff", "HEAD", "--", ".").timeout(Duration.ofSeconds(60))
                            .check("git diff in " + p);
                    key += "-dirty-" + sha256Text(status + "\n" + diff).substring(0, 12);
                }
                return new Source(p, "git", commit, dirty, key);
            }
            return new Source(p, "tree", null, false, "tree-" + sha256(treeFiles(p), p).substring(0, 16));
        }

        /** The tree's files, without what building it in place writes (build/, *.egg-info, __pycache__). */
        private static List<Path> treeFiles(Path root) {
            try (Stream<Path> all = Files.walk(root)) {
                return all.filter(Files::isRegularFile).filter(f -> {
                    String rel = root.relativize(f).toString();
                    return !rel.startsWith("build/") && !rel.contains(".egg-info") && !rel.contains("__pycache__")
                            && !rel.startsWith(".git/");
                }).sorted().toList();
            } catch (IOException e) {
                throw new LabException("cannot read the source tree " + root + ": " + e.getMessage(), e);
            }
        }

        private static String sha256(List<Path> files, Path root) {
            try {
                java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
                for (Path f : files) {
                    md.update(root.relativize(f).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    md.update((byte) 0);
                    md.update(Files.readAllBytes(f));
                }
                return java.util.HexFormat.of().formatHex(md.digest());
            } catch (IOException | java.security.NoSuchAlgorithmException e) {
                throw new LabException("cannot hash " + root + ": " + e.getMessage(), e);
            }
        }

        private static String sha256Text(String text) {
            try {
                return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                        .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * @param configuredPython -Dcontextforge.python, or blank to search
     * @param configuredVersion -Dcontextforge.version, or blank to choose by the Python found
     * @param cacheRoot where the virtual environments live (kept between runs)
     */
    public static PythonEnv prepare(String configuredPython, String configuredVersion, Path cacheRoot, Duration installWithin) {
        return prepare(configuredPython, configuredVersion, "", cacheRoot, installWithin);
    }

    /** @param configuredSource -Dcontextforge.source: a source tree or a wheel (blank: the PyPI pin) */
    public static PythonEnv prepare(String configuredPython, String configuredVersion, String configuredSource, Path cacheRoot,
                                    Duration installWithin) {
        Python python = configuredPython.isBlank() ? find() : probe(Path.of(configuredPython))
                .orElseThrow(() -> new LabException("-Dcontextforge.python=" + configuredPython + " is not a working Python"));
        if (!python.atLeast(3, 11)) {
            throw new LabException("ContextForge needs Python 3.11 or newer; the newest found is " + python.version() + " ("
                    + python.executable() + "); install python3.12 or set -Dcontextforge.python=/path/to/python3.12");
        }
        if (!configuredSource.isBlank()) {
            Source source = Source.of(configuredSource);
            Path venv = cacheRoot.resolve("contextforge-" + source.key() + "-py" + python.major() + "." + python.minor());
            PythonEnv env = new PythonEnv(python, null, venv, source);
            env.install(installWithin);
            return env;
        }
        String version = pinnedVersion(python.executable().toString(), configuredVersion);
        Path venv = cacheRoot.resolve("contextforge-" + version + "-py" + python.major() + "." + python.minor());
        PythonEnv env = new PythonEnv(python, version, venv, null);
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
        if (source != null) {
            installSource(within);
            return;
        }
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

    /** The source (with the postgres extra) into its own venv, once per key; the version is read from what was installed. */
    private void installSource(Duration within) {
        Path marker = venv.resolve(".installed-" + source.key());
        if (!(Files.exists(marker) && Files.isExecutable(bin("mcpgateway")))) {
            System.err.println("pg-resilience: installing ContextForge from " + source.describe() + " for Python " + python.version()
                    + " into " + venv + " (once per " + (source.kind().equals("git") ? "commit" : "content") + "; cached afterwards)");
            Command.of(python.executable().toString(), "-m", "venv", "--clear", venv.toString())
                    .timeout(Duration.ofMinutes(2)).check("creating a virtual environment in " + venv);
            Command.Result pip = Command.of(bin("pip").toString(), "install", "--disable-pip-version-check", "--quiet",
                    source.requirement()).timeout(within).run();
            if (!pip.ok()) {
                String[] lines = pip.output().strip().split("\n");
                throw new LabException("cannot install ContextForge from " + source.describe() + " (pip exit " + pip.exitCode() + "): "
                        + lines[lines.length - 1].strip());
            }
            try {
                Files.writeString(marker, source.describe() + "\n");
            } catch (IOException e) {
                throw new LabException("cannot write " + marker + ": " + e.getMessage(), e);
            }
        }
        Command.Result v = Command.of(bin("python").toString(), "-c",
                "import importlib.metadata as m; print(m.version('mcp-contextforge-gateway'))").timeout(Duration.ofMinutes(1)).run();
        if (!v.ok()) {
            throw new LabException("ContextForge from " + source.describe() + " is installed in " + venv
                    + " but its version cannot be read: is it mcp-contextforge-gateway?");
        }
        String[] lines = v.output().strip().split("\n");
        gatewayVersion = lines[lines.length - 1].strip();
    }

    /** The source ContextForge was installed from; empty for the PyPI pin. */
    public Optional<Source> source() {
        return Optional.ofNullable(source);
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
