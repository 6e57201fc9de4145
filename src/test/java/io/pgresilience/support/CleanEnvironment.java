package io.pgresilience.support;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What the processes the suite starts inherit from the shell. libpq reads its settings from PG* variables (PGSSLMODE,
 * PGOPTIONS, PGHOST, PGCONNECT_TIMEOUT, PGTARGETSESSIONATTRS, …), and so does everything built on it: psql,
 * pg_basebackup, Patroni, PgBouncer's server logins, a Python or Go gateway. A DBA's shell that exports one would change
 * the lab and the gateway, and so the verdicts. So every process the suite starts gets none of them (a variable the
 * suite sets itself, such as PGPASSWORD for one command, is given explicitly), and a gateway gets only a small base
 * ({@link #BASE}) plus what its profile declares.
 */
public final class CleanEnvironment {

    /** What a gateway inherits from the shell: nothing else. */
    public static final List<String> BASE = List.of("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR");

    /** libpq's variables: PG and a letter (not PG_CONFIG, a build setting). */
    private static final Pattern LIBPQ = Pattern.compile("PG[A-Z][A-Z0-9_]*");

    private CleanEnvironment() {
    }

    public static boolean isLibpqVariable(String name) {
        return LIBPQ.matcher(name).matches();
    }

    /**
     * The lab defect that undoes all this ({@code -Dlab.defects=inherit-shell-environment}): every process the suite
     * starts takes the shell's whole environment. A test aid, off by default: the proof that the shell-environment check
     * (-Pshell-environment) can fail.
     */
    public static final String DEFECT = "inherit-shell-environment";

    private static boolean inherits() {
        return java.util.Arrays.stream(System.getProperty("lab.defects", "").split(",")).map(String::strip).anyMatch(DEFECT::equals);
    }

    /** Removes every libpq variable from a process's environment (ProcessBuilder.environment()). */
    public static void scrub(Map<String, String> environment) {
        if (!inherits()) {
            environment.keySet().removeIf(CleanEnvironment::isLibpqVariable);
        }
    }

    /** The base a gateway gets from the shell: those of {@link #BASE} that are set. */
    public static Map<String, String> base() {
        if (inherits()) {
            return new LinkedHashMap<>(System.getenv());
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : BASE) {
            String value = System.getenv(name);
            if (value != null) {
                out.put(name, value);
            }
        }
        return out;
    }

    /** The libpq variables set in the suite's own environment, which no process of the suite gets (for the run context). */
    public static List<String> ignored() {
        return System.getenv().keySet().stream().filter(CleanEnvironment::isLibpqVariable).sorted().toList();
    }
}
