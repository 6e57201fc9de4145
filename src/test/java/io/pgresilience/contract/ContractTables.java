package io.pgresilience.contract;

import io.pgresilience.evidence.Judge;
import io.pgresilience.evidence.Outcome;
import io.pgresilience.lab.GatewaySessions;
import io.pgresilience.targets.Capability;
import io.pgresilience.targets.GatewayClient;
import io.pgresilience.targets.GatewayProfile;
import io.pgresilience.targets.GatewaySwitches;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The tables of CONTRACT.md, made from the code the judge and the suite run: the patterns an answer must match, the
 * JSON fields read, how an answer's outcome is classified ({@link Outcome#of} itself, called on examples), the schema
 * columns read, every capability and every profile key. {@link ContractDocument} writes them between the document's
 * marker comments; ContractDocumentTest fails when the document and the code drift apart.
 */
public final class ContractTables {

    /** What each capability turns on; a capability without a line here fails the drift test (document it). */
    static final Map<Capability, String> TURNS_ON = turnsOn();
    /** What each profile key holds; a key without a line here fails the drift test (document it). */
    static final Map<String, String> KEY_MEANS = keyMeans();

    private ContractTables() {
    }

    /** Every generated section by its marker name, in the document's order. */
    public static Map<String, String> sections() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("patterns", patterns());
        s.put("error-fields", errorFields());
        s.put("outcomes", outcomes());
        s.put("schema", schema());
        s.put("capabilities", capabilities());
        s.put("timeouts", timeouts());
        s.put("profile-keys", profileKeys());
        s.put("switches", switches());
        return s;
    }

    static String patterns() {
        List<String[]> rows = new ArrayList<>();
        rows.add(row("names the database", Judge.NAMES_THE_DATABASE,
                "every 503/504 during a fault (the judge's fault-window rule), every step that expects a database error, the contract check"));
        rows.add(row("names a timeout", Judge.NAMES_A_TIMEOUT,
                "the 503/504 of a blackhole or of latency beyond the socket timeout (CL-02, CL-04)"));
        rows.add(row("names a statement timeout", Judge.NAMES_A_STATEMENT_TIMEOUT,
                "the 503/504 of a statement held past the declared statement timeout (TX-02, the contract check)"));
        rows.add(row("names a deadlock", Judge.NAMES_A_DEADLOCK, "the 409 of a deadlock's victim (TX-01)"));
        rows.add(row("Server-Timing duration", Judge.SERVER_TIMING_DURATION,
                "the `Server-Timing` header of a list call, with `SERVER_TIMING` (its first group: milliseconds in the database)"));
        StringBuilder t = table(List.of("what", "pattern (Java regex, searched in `error` + \" \" + `message`)", "where"), rows);
        t.append("\nA timeout error must not come sooner than **").append(Judge.TIMEOUT_FLOOR_PERCENT)
                .append(" %** of the limit it names (`Judge.timeoutFloorMs`): a statement timeout of 4000 ms may answer from ")
                .append(Judge.timeoutFloorMs(4000)).append(" ms on; a pool wait from ")
                .append(Judge.TIMEOUT_FLOOR_PERCENT).append(" % of `timeout.pool-ms` on. A faster \"timeout\" is not one.\n");
        return t.toString();
    }

    private static String[] row(String what, Pattern p, String where) {
        return new String[] {what, "`" + p.pattern() + "`", where};
    }

    static String errorFields() {
        return table(List.of("read as", "the first of these JSON fields present in a 4xx/5xx body"), List.of(
                new String[] {"the error code", GatewayClient.ERROR_FIELDS.stream().map(f -> "`" + f + "`").collect(Collectors.joining(", "))},
                new String[] {"the message", GatewayClient.MESSAGE_FIELDS.stream().map(f -> "`" + f + "`").collect(Collectors.joining(", "))}))
                .toString()
                + "\nThe patterns below are searched in the error code and the message joined by a space (never in the rest of the body). "
                + "A `503` must carry a `Retry-After` header.\n";
    }

    static String outcomes() {
        List<String[]> rows = new ArrayList<>();
        String u = Outcome.UNKNOWN_CODE;
        Object[][] examples = {
                {200, null, "a success"},
                {201, null, "a write created"},
                {503, u, "the gateway says the commit's outcome is unknown (`error` = `error.outcome-unknown-code`)"},
                {503, "database_unavailable", "a failure the gateway knows of"},
                {504, "statement_timeout", "a timeout: the gateway says the write failed (rolled back)"},
                {504, "database_timeout", "also a failed write, even on a COMMIT: it may be judged a ghost if it was applied"},
                {409, "conflict", "a refusal"},
                {0, "SocketTimeoutException: Read timed out", "no answer within the suite's HTTP timeout"},
                {0, "HttpHostConnectException: Connect to 127.0.0.1 failed: Connection refused", "the request never reached the gateway"}};
        for (Object[] e : examples) {
            int status = (int) e[0];
            String code = (String) e[1];
            rows.add(new String[] {status == 0 ? "no answer" : Integer.toString(status), code == null ? "—" : "`" + code + "`",
                    "**" + Outcome.of(status, code, u) + "**", (String) e[2]});
        }
        return table(List.of("status", "error code", "outcome (`Outcome.of`)", "meaning"), rows).toString()
                + "\nThe default unknown-outcome code is `" + u + "`; a profile may declare its own with `error.outcome-unknown-code`. "
                + "OK: the write must be in the database (else: lost). FAIL: it must not be (else: a ghost). UNKNOWN: either is right.\n";
    }

    static String schema() {
        List<String[]> rows = new ArrayList<>();
        GatewaySessions.COLUMNS_READ.forEach((c, what) -> rows.add(new String[] {"`" + c + "`", what}));
        return table(List.of("column", "what the suite expects"), rows).toString();
    }

    static String capabilities() {
        List<String[]> rows = new ArrayList<>();
        for (Capability c : Capability.values()) {
            String on = TURNS_ON.get(c);
            if (on == null) {
                throw new IllegalStateException("capability " + c + " has no line in ContractTables.TURNS_ON: document it");
            }
            rows.add(new String[] {"`" + c.name() + "`", c.declaredByProfile() ? "the profile (`capabilities=`)" : "how the suite runs the gateway",
                    on, c.missingReason()});
        }
        return table(List.of("capability", "declared by", "what it turns on", "skip reason without it"), rows).toString();
    }

    static String timeouts() {
        List<String[]> rows = new ArrayList<>();
        for (Map.Entry<String, String> k : GatewayProfile.KEYS.entrySet()) {
            if (k.getKey().startsWith("timeout.")) {
                rows.add(new String[] {"`" + k.getKey() + "`", k.getValue(), KEY_MEANS.get(k.getKey())});
            }
        }
        return table(List.of("key", "needed", "how it is used and verified"), rows).toString();
    }

    static String profileKeys() {
        List<String[]> rows = new ArrayList<>();
        for (Map.Entry<String, String> k : GatewayProfile.KEYS.entrySet()) {
            String means = KEY_MEANS.get(k.getKey());
            if (means == null) {
                throw new IllegalStateException("profile key " + k.getKey() + " has no line in ContractTables.KEY_MEANS: document it");
            }
            rows.add(new String[] {"`" + k.getKey() + "`", k.getValue(), means});
        }
        rows.add(new String[] {"`env.NAME`", "-Dtarget=command", "a variable of the gateway's environment; its value may use "
                + GatewayProfile.PLACEHOLDERS.stream().map(p -> "`${" + p + "}`").collect(Collectors.joining(", "))
                + ", `${setting:KEY}` and `${secret:NAME}`; one of them must carry `${port}`"});
        return table(List.of("key", "needed", "what it holds"), rows).toString();
    }

    static String switches() {
        return "`-D" + GatewaySwitches.PREFIX + "NAME=VALUE` adds `NAME=VALUE` to the gateway's environment for one run; a value whose "
                + "name matches `" + GatewaySwitches.SECRET_NAME.pattern() + "` (case-insensitive) is masked in the run context "
                + "and registered as a secret.\n";
    }

    private static StringBuilder table(List<String> head, List<String[]> rows) {
        StringBuilder t = new StringBuilder();
        t.append("| ").append(String.join(" | ", head)).append(" |\n|");
        head.forEach(h -> t.append("---|"));
        t.append('\n');
        for (String[] r : rows) {
            t.append("| ").append(java.util.Arrays.stream(r).map(c -> c.replace("|", "\\|")).collect(Collectors.joining(" | "))).append(" |\n");
        }
        return t;
    }

    private static Map<Capability, String> turnsOn() {
        Map<Capability, String> m = new EnumMap<>(Capability.class);
        m.put(Capability.LAB_CONTROL, "every fault scenario (the suite stops, cuts, slows and locks the gateway's database)");
        m.put(Capability.MANAGED_PROCESS, "scenarios that restart the gateway (FO-03) or give it another database URL (FO-01's single- and multi-host runs)");
        m.put(Capability.BULK_UPDATE, "TX-01 (a deadlock: two bulk updates in opposite orders) and TX-02 (a statement timeout on a held row); "
                + "`POST path.bulk-update {\"updates\":[{\"name\":…,\"description\":…}]}` in one transaction, in that order");
        m.put(Capability.NAME_FILTER, "reads back by `GET path.servers?name=…` (else the whole list is read), and the input-safety check "
                + "that the filter is literal (`%`, `_`, quotes)");
        m.put(Capability.SERVER_WITH_TOOLS, "TX-03 and TX-04's multi-row write: a server and its tools in one call, one transaction "
                + "(`body.server-with-tools`)");
        m.put(Capability.SERVER_TIMING, "CL-04's query time: a `Server-Timing` header on list answers with the database time as `dur=`");
        m.put(Capability.POOL_STATS, "the pool scenarios read borrowed connections from `GET path.pool-stats` (`{\"active\": N}`), "
                + "and the leak rule judges the pool as well as `pg_stat_activity`");
        m.put(Capability.DATABASE_ROLE, "the suite finds the gateway's sessions in `pg_stat_activity` (leaks, locks, near-miss tokens)");
        return m;
    }

    private static Map<String, String> keyMeans() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("name", "the profile's name: logs and the report use it");
        m.put("description", "one line for the report");
        m.put("path.readiness", "`GET`: 503 while the database is unusable, 200 once it is usable (no token)");
        m.put("path.liveness", "`GET`: 200 while the process runs, whatever the database (no token)");
        m.put("path.servers", "`GET` lists servers (a JSON array of objects with `name`), `POST` creates one; token required");
        m.put("path.tools", "`GET` lists tools, `POST` creates one; token required");
        m.put("path.bulk-update", "with `BULK_UPDATE`: `POST {\"updates\":[{\"name\":…,\"description\":…}]}` in one transaction, in that order");
        m.put("path.pool-stats", "with `POOL_STATS`: `GET` answers `{\"active\": N, …}` (borrowed connections)");
        m.put("list.query", "query parameters for list calls, e.g. `limit=0`");
        m.put("body.server-envelope", "a create body's wrapper object, e.g. `server` for `{\"server\":{…}}` (blank: none)");
        m.put("body.tool-envelope", "the same for a tool");
        m.put("body.tool-fields", "extra fields of a tool, `a=b, c=d`");
        m.put("body.server-with-tools", "with `SERVER_WITH_TOOLS`: `inline` (`{\"name\":…,\"tools\":[{…}]}`) or `tool-ids` (tools first, the server names their ids)");
        m.put("body.tool-ids-field", "with `tool-ids`: the field that lists them (ContextForge: `associated_tools`)");
        m.put("table.servers", "the table the servers API writes (columns: see the schema)");
        m.put("table.tools", "the table the tools API writes");
        m.put("table.server-tools", "the table that links a server to its tools, where it is another table");
        m.put("capabilities", "what the API offers (see the capabilities); may be empty");
        m.put("error.outcome-unknown-code", "the `error` code of the 503 that says a write's outcome is unknown (default `"
                + Outcome.UNKNOWN_CODE + "`)");
        m.put("token.signing-secret", "the `${secret:NAME}` that signs the gateway's JWTs (HMAC): the near-miss check also sends an expired token signed with it");
        m.put("database.url", "the URL's form: `jdbc`, `libpq` (`postgresql://…`) or `sqlalchemy` (`postgresql+DRIVER://…`)");
        m.put("database.hosts", "`multi` (every node in one URL; the gateway finds the primary) or `single` (the VIP, re-pointed on failover)");
        m.put("database.url-query", "appended to the URL, e.g. `targetServerType=primary`");
        m.put("database.url-credentials", "`true` (default): user and password in the URL; `false`: as `${database.user}`, `${database.password}`");
        m.put("database.sqlalchemy-driver", "with `sqlalchemy`: the driver, default `psycopg`");
        m.put("auth.token", "`generated` (per run, give it with `${token}`), `static` (`-Dgateway.token=…`) or `command` (minted once ready)");
        m.put("auth.token-command", "with `command`: run with `/bin/sh -c` and the gateway's environment; its last line is the token");
        m.put("pool.idle-size", "the connections the pool keeps idle (what the pool scenarios expect)");
        m.put("pool.max-size", "the connections the pool opens at most");
        m.put("timeout.pool-ms", "how long a request waits for a pooled connection: the detect SLO is built from it; CP-01 expects a 503 "
                + "after " + Judge.TIMEOUT_FLOOR_PERCENT + " %…100 % of it (+ `deadline.request-slack-ms`), and so does `-Pcontract` (the pool "
                + "held by `pool.max-size` calls waiting on a lock); no timeout error may come sooner");
        m.put("timeout.connect-ms", "the gateway's connect timeout, for the report and the request bound; blank: none");
        m.put("command", "with `-Dtarget=command`: the command that starts the gateway (`/bin/sh -c`, in an empty directory, with "
                + "the profile's environment), when `-Dgateway.command` does not give one; `${profile.dir}` is the profile's folder");
        m.put("command.prepare", "run once before any lab starts (e.g. making the gateway's virtual environment); a failure is one "
                + "line and the run stops");
        m.put("timeout.socket-ms", "the gateway's socket (read) timeout: every request must end within pool + socket timeout + slack "
                + "(the judge's first rule; without one, `gateway.socket-timeout-s` is assumed); CL-04 adds latency beyond it");
        m.put("timeout.statement-ms", "the statement timeout the gateway sets: TX-02 holds a row past it and expects a 503/504 naming a "
                + "statement timeout after " + Judge.TIMEOUT_FLOOR_PERCENT + " %…100 % of it; `-Pcontract` checks it is in force "
                + "(a table locked from outside, a list call must end so). Blank: TX-02 and the check are \"not applicable\"");
        return m;
    }
}
