package io.pgresilience.lab.containers;


import io.pgresilience.lab.LabDirectory;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Labels that tie every container, network and image of the lab to this run and to the JVM that owns it:
 * Ryuk is off, so a later run removes what a killed one left, by these labels (as Leftovers does with pid files).
 */
public record RunLabels(String runId, String owner) {

    static final String RUN = "io.pgresilience.run";
    static final String OWNER = "io.pgresilience.owner";

    public static RunLabels of(LabDirectory directory) {
        ProcessHandle me = ProcessHandle.current();
        String started = Long.toString(me.info().startInstant().map(i -> i.toEpochMilli()).orElse(0L));
        return new RunLabels(directory.path().getFileName().toString(), me.pid() + "-" + started);
    }

    public Map<String, String> map() {
        return Map.of(RUN, runId, OWNER, owner);
    }

    /** A name for a container or image of this run: lower case, as image references must be. */
    public String name(String what) {
        return "pg-resilience-" + what + "-" + runId.replaceFirst("^run-", "").toLowerCase(Locale.ROOT);
    }

    /** Whether the JVM an owner label names still runs (same pid and start time: a reused pid is not it). */
    static boolean ownerAlive(String owner) {
        try {
            String[] parts = owner.split("-");
            long pid = Long.parseLong(parts[0]);
            long started = Long.parseLong(parts[1]);
            Optional<ProcessHandle> p = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
            return p.isPresent() && (started == 0 || p.get().info().startInstant()
                    .map(i -> Math.abs(i.toEpochMilli() - started) < 2_000).orElse(true));
        } catch (RuntimeException e) {
            return false;
        }
    }
}
