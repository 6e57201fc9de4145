package io.pgresilience.lab.containers;

import java.util.Arrays;

/** The last lines of a log, on one line, for an error message a user can act on. */
public final class LogTail {

    private LogTail() {
    }

    public static String of(String log, int lines) {
        String[] all = log.strip().split("\n");
        return String.join(" | ", Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length)).strip();
    }
}
