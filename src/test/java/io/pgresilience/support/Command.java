package io.pgresilience.support;

import java.util.Arrays;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** An external program run to completion with a deadline; its output is kept for the error message. */
public final class Command {

    /** What a finished command left behind. */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    private final List<String> argv;
    private Map<String, String> env = Map.of();
    private Path directory;
    private Duration timeout = Duration.ofSeconds(60);
    private String input;

    private Command(List<String> argv) {
        this.argv = List.copyOf(argv);
    }

    public static Command of(List<String> argv) {
        return new Command(argv);
    }

    public static Command of(String... argv) {
        return new Command(List.of(argv));
    }

    public Command env(Map<String, String> env) {
        this.env = env;
        return this;
    }

    public Command in(Path directory) {
        this.directory = directory;
        return this;
    }

    /** Text for the program's standard input (e.g. statements carrying a secret, kept off the command line). */
    public Command input(String text) {
        this.input = text;
        return this;
    }

    public Command timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    public List<String> argv() {
        return argv;
    }

    /** Runs; a non-zero exit is returned, not thrown. */
    public Result run() {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        CleanEnvironment.scrub(pb.environment());
        pb.environment().putAll(env);
        if (directory != null) {
            pb.directory(directory.toFile());
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new LabException("cannot run " + argv.get(0) + ": " + e.getMessage(), e);
        }
        try (var stdin = p.getOutputStream()) {
            if (input != null) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // the program ended before reading its input: its exit code says why
        }
        // Read output on another thread so that a chatty program cannot block on a full pipe.
        List<byte[]> out = new ArrayList<>(1);
        Thread reader = new Thread(() -> {
            try {
                out.add(p.getInputStream().readAllBytes());
            } catch (IOException ignored) {
                out.add(new byte[0]);
            }
        }, "command-output");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new LabException(String.join(" ", argv) + " did not finish within " + timeout.toSeconds() + " s");
            }
            reader.join(5_000);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while running " + argv.get(0), e);
        }
        String text = out.isEmpty() ? "" : new String(out.get(0), StandardCharsets.UTF_8);
        return new Result(p.exitValue(), text);
    }

    /** Runs and insists on success. */
    public String check(String what) {
        Result r = run();
        if (!r.ok()) {
            throw new LabException(what + " failed (exit " + r.exitCode() + "): " + lastLines(r.output(), 6));
        }
        return r.output();
    }

    public static String lastLines(String text, int n) {
        String[] lines = text.strip().split("\n");
        int from = Math.max(0, lines.length - n);
        return String.join(" | ", Arrays.copyOfRange(lines, from, lines.length));
    }
}
