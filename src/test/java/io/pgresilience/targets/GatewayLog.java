package io.pgresilience.targets;

import java.util.Arrays;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The gateway's captured stdout and stderr; read from an offset, so each scenario gets its own part. */
public final class GatewayLog {

    private final Path file;

    public GatewayLog(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    public long size() {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    public String since(long offset) {
        try {
            if (!Files.exists(file)) {
                return "";
            }
            byte[] all = Files.readAllBytes(file);
            int from = (int) Math.min(Math.max(0, offset), all.length);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(gateway log unreadable: " + e.getMessage() + ")";
        }
    }

    public String tail(int lines) {
        return tailSince(0, lines);
    }

    /** The last lines written after an offset (e.g. by one process, when the file is appended to across runs). */
    public String tailSince(long offset, int lines) {
        String[] all = since(offset).strip().split("\n");
        return String.join("\n", Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
    }
}
