package io.pgresilience.selfproof;


import static org.assertj.core.api.Assertions.assertThat;

import io.pgresilience.faults.CommitCut;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The suite proves itself: it runs once clean and once per defect switch (each reintroduces one real-world bug
 * into the reference gateway or the lab), and every defect must turn at least one scenario red.
 * Run with {@code mvn test -Pdefect-catalogue}; the table goes to stdout and reports/defect-catalogue.md.
 */
class DefectCatalogue {

    /** One switch and the bug it reintroduces; in some deployments the bug cannot exist (and is not run there). */
    record Defect(String setting, String name, String bug, List<String> notIn, String whyNot) {
        Defect(String setting, String name, String bug) {
            this(setting, name, bug, List.of(), "");
        }

        /** Not in a deployment where the gateway has one database address (a pooler or a router): nothing to choose among. */
        Defect severalHosts() {
            return new Defect(setting, name, bug, List.of("pgbouncer", "patroni"), "the gateway has one database address "
                    + "there (PgBouncer's, HAProxy's): no hosts to choose among, so this bug cannot exist");
        }

        Defect notIn(String topology, String why) {
            return new Defect(setting, name, bug, List.of(topology), why);
        }

        /** Not with a fault engine that cannot make the fault that shows the bug (Toxiproxy cannot cut at a COMMIT). */
        Defect needsCommitCut() {
            return new Defect(setting, name, bug, List.of("faults:toxiproxy"), CommitCut.CANNOT);
        }

        boolean cannotExistIn(String topology, String faults) {
            return notIn.contains(topology) || notIn.contains("faults:" + faults);
        }
    }

    static final List<Defect> DEFECTS = List.of(
            new Defect("gateway.defects", "500-for-db-errors", "database faults answer 500 instead of 503"),
            new Defect("gateway.defects", "ready-without-db", "readiness answers 200 without querying the database"),
            new Defect("gateway.defects", "no-validation", "pooled connections are handed out without validation (no pre-ping)"),
            new Defect("gateway.defects", "unbounded-pool-wait", "a request waits for a pooled connection forever"),
            new Defect("gateway.defects", "leak-on-error", "a connection that failed a request is never returned to the pool"),
            new Defect("gateway.defects", "single-host", "the database URL's first host only: no failover").severalHosts(),
            new Defect("gateway.defects", "no-fencing", "writes go to any writable node, even a stale primary (no split-brain fencing)").severalHosts(),
            new Defect("gateway.defects", "no-statement-timeout", "no statement_timeout: a blocked query waits for the socket timeout"),
            new Defect("gateway.defects", "non-atomic-write", "a server and its tools are written in separate transactions"),
            new Defect("gateway.defects", "deadlock-as-500", "a deadlock is swallowed into a generic 500"),
            new Defect("gateway.defects", "reads-from-standby", "reads are served by the lagging standby").severalHosts(),
            new Defect("gateway.defects", "auth-needs-db", "auth looks tokens up in the database and answers 401 when it is down"),
            new Defect("gateway.defects", "no-socket-timeout", "checked-out connections have no socket timeout: a query whose answer never comes hangs"),
            new Defect("gateway.defects", "500-for-failed-writes", "a write that finds no database connection answers 500 (reads 503)"),
            new Defect("gateway.defects", "ack-failed-writes", "a write that finds no database connection is answered 201, yet nothing was written"),
            new Defect("gateway.defects", "flapping-readiness", "readiness without a database answers 503 and 200 in turn"),
            new Defect("gateway.defects", "late-503", "the 503 for an unreachable database comes only after 8 s"),
            new Defect("gateway.defects", "deadlock-unlogged", "a deadlock is answered 409 but not logged"),
            new Defect("gateway.defects", "timeout-as-404", "a statement timeout is answered 404"),
            new Defect("gateway.defects", "leak-on-deadlock", "a deadlock victim's transaction is neither rolled back nor returned to the pool"),
            new Defect("gateway.defects", "ack-cancelled-sync-commit", "a commit whose synchronous wait was cancelled (kept only locally) is acknowledged")
                    .severalHosts(),
            new Defect("lab.defects", "synchronous-commit-local",
                    "a 'synchronous' setup whose commits do not wait for the standby (async claimed as RPO 0)")
                    .notIn("patroni", "Patroni owns synchronous replication there and the synchronous failover examples are "
                            + "skipped (it does not promote a standby cut off before the crash)"),
            new Defect("gateway.defects", "retry-after-commit-error", "a write whose COMMIT answer was lost is run again (applied twice, "
                    + "or its own write answered 409)").needsCommitCut(),
            new Defect("gateway.defects", "commit-unknown-as-failure", "a write whose COMMIT answer was lost is answered as failed, "
                    + "though it was applied (a ghost)").needsCommitCut(),
            new Defect("gateway.defects", "case-insensitive-token", "the bearer token is compared without regard to case"));

    @Test
    void everyDefectTurnsAScenarioRed() throws IOException {
        Path out = Path.of("target", "defect-catalogue");
        Files.createDirectories(out);
        SuiteRun baseline = SuiteRun.of("no defect", Map.of(), out.resolve("baseline.json").toString());
        List<String> rows = new ArrayList<>();
        rows.add("| defect | bug it reintroduces | caught | scenarios that went red | run time |");
        rows.add("|---|---|---|---|---|");
        rows.add("| (none) | baseline: the reference gateway as built | " + (baseline.green() ? "all green" : "NOT GREEN")
                + " | " + String.join("<br>", baseline.failed()) + " | " + baseline.wallTime().toSeconds() + " s |");
        int caught = 0;
        String only = System.getProperty("defects", "");
        List<Defect> chosen = only.isBlank() ? DEFECTS : DEFECTS.stream()
                .filter(d -> List.of(only.split(",")).contains(d.name())).toList();
        String topology = System.getProperty("topology", "direct");
        String faults = System.getProperty("faults", "in-jvm");
        int applicable = 0;
        for (Defect d : chosen) {
            if (d.cannotExistIn(topology, faults)) {
                String where = d.notIn().contains(topology) ? "topology " + topology : "fault engine " + faults;
                rows.add("| `" + d.name() + "` | " + d.bug() + " | n/a | not run with " + where + ": " + d.whyNot() + " | |");
                System.out.println("defect " + d.name() + ": not applicable with " + where);
                continue;
            }
            applicable++;
            SuiteRun run = SuiteRun.of(d.name(), Map.of(d.setting(), d.name()), out.resolve(d.name() + ".json").toString());
            boolean red = !run.failed().isEmpty();
            caught += red ? 1 : 0;
            rows.add("| `" + d.name() + "` | " + d.bug() + " | " + (red ? "yes" : "**NO**") + " | "
                    + String.join("<br>", run.failed()) + " | " + run.wallTime().toSeconds() + " s |");
            System.out.println("defect " + d.name() + ": " + run.failed().size() + " red, " + run.passed().size() + " green");
        }
        String table = "# Defect catalogue\n\n" + caught + " of " + applicable + " defects caught ("
                + (100 * caught / Math.max(1, applicable)) + " %)" + (applicable < chosen.size() ? "; " + (chosen.size() - applicable)
                + " cannot exist in topology " + topology : "") + ". Each defect is a switch of the reference gateway "
                + "(`-Dgateway.defects=NAME`) or of the lab (`-Dlab.defects=NAME`), off by default. Lab `"
                + System.getProperty("lab", "embedded") + "`, fault proxies `" + System.getProperty("faults", "in-jvm") + "`, topology `" + topology + "`.\n\n"
                + String.join("\n", rows) + "\n";
        Files.createDirectories(Path.of("reports"));
        Files.writeString(Path.of("reports", "defect-catalogue.md"), table);
        System.out.println(table);
        assertThat(baseline.green()).as("the suite is green without defects: failed " + baseline.failed()).isTrue();
        assertThat(caught).as("defects caught").isEqualTo(applicable);
    }
}
