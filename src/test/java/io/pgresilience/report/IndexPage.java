package io.pgresilience.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.temporal.ChronoUnit;
import io.pgresilience.suite.Features;

import io.pgresilience.run.RunContext;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The site's front page: for each user story its narrative and the status of each of its scenarios (each linked to
 * its result, evidence and logs in the Allure report), the run's context, the plan's Test Matrix, and links to the
 * other parts. A small generated page; the scenario details live in Allure.
 */
public final class IndexPage {

    /** A feature file's header: its story tag, title and narrative (As a / I want / So that). */
    record Story(String tag, String title, List<String> narrative) {
    }

    private IndexPage() {
    }

    /** Rewrites the front page from the last run's Cucumber report and site (after a self-proof command added a part). */
    public static void refresh() throws IOException {
        Path site = SiteBuilder.SITE.resolve("index.html");
        Path reports = SiteBuilder.REPORTS;
        if (Files.exists(site) && Files.exists(reports.resolve("cucumber.json"))) {
            write(reports.resolve("index.html"), ScenarioResult.read(reports.resolve("cucumber.json")), SiteBuilder.testCaseUids(site));
        }
    }

    static void write(Path file, List<ScenarioResult> results, Map<String, String> uids) throws IOException {
        Map<String, String> context = RunContext.read();
        String filter = RunContext.tagFilter();
        StringBuilder h = new StringBuilder();
        long passed = results.stream().filter(r -> r.status().equals("passed")).count();
        long failed = results.stream().filter(r -> r.status().equals("failed")).count();
        long skipped = results.stream().filter(r -> r.status().equals("skipped")).count();
        String target = context.getOrDefault("gateway", context.getOrDefault("target", "the gateway"));

        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>pg-resilience</title><style>")
                .append("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}")
                .append("h1{margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}")
                .append(".narrative{color:#555;font-style:italic;margin:.2em 0 .6em}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}")
                .append(".passed{background:#e3f4e5;color:#1b5e20}.failed{background:#fde2e1;color:#b71c1c}")
                .append(".skipped,.notrun{background:#f3f3f3;color:#666}.pill{padding:.1em .5em;border-radius:.8em;font-size:.85em}")
                .append(".why{color:#555;font-size:.8em}.fig{color:#1a4d7a;font-size:.8em}.banner{background:#fff3cd;border:1px solid #e0c36a;padding:.6em;margin:1em 0}.err{color:#b71c1c;font-size:.85em}")
                .append("ul.scen{list-style:none;padding-left:0}ul.scen li{margin:.35em 0}</style></head><body>\n");
        h.append("<h1>pg-resilience</h1><p>How <b>").append(esc(target)).append("</b> survives PostgreSQL failure — ")
                .append("the executable form of the <a href=\"").append(AllureMetadata.PLAN_URL)
                .append("\">ContextForge PostgreSQL resilience test plan (#2466)</a>.</p>\n");
        h.append("<p><span class=\"pill passed\">").append(passed).append(" passed</span> <span class=\"pill failed\">")
                .append(failed).append(" failed</span> <span class=\"pill skipped\">").append(skipped)
                .append(" skipped</span> &nbsp; <a href=\"site/index.html\">Full report with evidence (Allure)</a> · ")
                .append("<a href=\"cucumber.html\">Cucumber report</a></p>\n");
        if (filter != null) {
            h.append("<div class=\"banner\"><b>Filtered run:</b> only scenarios matching <code>").append(esc(filter))
                    .append("</code> ran. Everything else is shown as “not in this run”.</div>\n");
        }

        for (Story story : stories()) {
            List<ScenarioResult> mine = results.stream().filter(r -> r.has("@" + story.tag())).toList();
            h.append("<h2>").append(esc(AllureMetadata.STORIES.getOrDefault(story.tag(), story.title()))).append("</h2>\n");
            h.append("<div class=\"narrative\">").append(String.join("<br>", story.narrative().stream().map(IndexPage::esc).toList()))
                    .append("</div>\n");
            if (mine.isEmpty()) {
                h.append("<p><span class=\"notrun pill\">not in this run</span></p>\n");
                continue;
            }
            h.append("<ul class=\"scen\">\n");
            for (String name : mine.stream().map(ScenarioResult::name).distinct().toList()) {
                List<ScenarioResult> runs = mine.stream().filter(r -> r.name().equals(name)).toList();
                ScenarioResult r = runs.get(0);
                h.append("<li>");
                for (ScenarioResult run : runs) {
                    String uid = uids.get(run.topology() == null ? name : name + " [" + run.topology() + "]");
                    String link = uid == null ? "site/index.html" : "site/index.html#testresult/" + uid;
                    h.append("<a class=\"pill ").append(run.status()).append("\" href=\"").append(link).append("\">")
                            .append(run.topology() == null ? "" : esc(run.topology()) + ": ").append(run.status()).append("</a> ");
                }
                String uid = uids.get(r.topology() == null ? name : name + " [" + r.topology() + "]");
                String link = uid == null ? "site/index.html" : "site/index.html#testresult/" + uid;
                h.append(r.has("@story") ? "<b>story</b> · " : "")
                        .append("<a href=\"").append(link).append("\">").append(esc(name)).append("</a>")
                        .append(" <small>(<a href=\"").append(AllureMetadata.PLAN_URL).append("\">plan</a>)</small>");
                for (ScenarioResult run : runs) {
                    if (run.firstError() != null && !run.status().equals("passed")) {
                        h.append("<div class=\"err\">").append(run.topology() == null ? "" : esc(run.topology()) + ": ")
                                .append(esc(abbreviate(run.firstError(), 240))).append("</div>");
                    }
                }
                h.append("</li>\n");
            }
            h.append("</ul>\n");
        }

        h.append("<h2>Test Matrix</h2><p>The plan's matrix: each test case, the areas it covers, where it runs. A cell shows ")
                .append("this run's result; “not run” cells are never shown green. The Docker column runs with ")
                .append("<code>-Dlab=containers</code>; no Kubernetes lab exists in this suite. ")
                .append(topologies(results).isEmpty() ? "Topology of this run: <b>" + esc(topologyOf(context))
                        + "</b> (<code>-Dtopology=direct|pgbouncer|patroni|all</code>)."
                        : "This run covers several topologies (<code>-Dtopology=all</code>): a column each; the area columns "
                        + "sum them up.").append("</p>\n");
        h.append(matrix(results, context));
        h.append(figures(results, context));

        h.append(conformance(file.resolveSibling("conformance.json")));

        h.append("<h2>This run</h2><table>\n");
        for (Map.Entry<String, String> e : context.entrySet()) {
            h.append("<tr><th>").append(esc(e.getKey())).append("</th><td>").append(esc(e.getValue())).append("</td></tr>\n");
        }
        h.append("</table>\n<h2>More</h2><ul>\n");
        h.append("<li><a href=\"site/index.html\">Allure report</a>: every scenario step by step, its evidence (figures and ")
                .append("timeline picture, the judge's rules), the gateway's and PostgreSQL's logs of a failed scenario, history across runs</li>\n");
        h.append("<li><a href=\"cucumber.html\">Cucumber report</a> and <a href=\"cucumber.json\">cucumber.json</a></li>\n");
        for (String[] extra : new String[][] {
                {"contract.html", "The gateway contract: what a gateway must do to be judged (CONTRACT.md)"},
                {"contract-check.md", "Contract check: the last -Pcontract run, clause by clause"},
                {"conformance.md", "Conformance: every scenario against each gateway"},
                {"defect-catalogue.md", "Defect catalogue: the bugs the suite catches"},
                {"proxy-benchmark.md", "What the fault proxy costs (pgbench)"},
                {"logs", "Whole logs of the gateway"}}) {
            if (Files.exists(file.resolveSibling(extra[0]))) {
                h.append("<li><a href=\"").append(extra[0]).append("\">").append(esc(extra[1])).append("</a></li>\n");
            }
        }
        h.append("</ul></body></html>\n");
        Files.writeString(file, h.toString(), StandardCharsets.UTF_8);
    }

    /** The conformance table of the last `mvn test -Pconformance`, if there was one. */
    @SuppressWarnings("unchecked")
    private static String conformance(Path json) throws IOException {
        if (!Files.exists(json)) {
            return "";
        }
        Map<String, Object> doc = new ObjectMapper().readValue(json.toFile(), Map.class);
        StringBuilder t = new StringBuilder("<h2>Conformance: reference gateway vs ContextForge ")
                .append(esc(String.valueOf(doc.get("contextforge version")))).append("</h2>\n<p>The whole suite against each ")
                .append("gateway, same lab, same settings (<a href=\"conformance.md\">conformance.md</a>), from the last ")
                .append("<code>mvn test -Pconformance</code>, run ")
                // It may be older than this run: say when it was made.
                .append(esc(Files.getLastModifiedTime(json).toInstant().truncatedTo(ChronoUnit.SECONDS).toString()))
                .append(". For every failure, what the gateway actually did; under each cell of a fault scenario its figures (time to ")
                .append("detect, to recover, RTO, writes lost, the longest request). <i>Tuned</i>: ContextForge with the database settings an ")
                .append("operator would set (").append(esc(String.valueOf(doc.getOrDefault("tuned", "-"))))
                .append(").</p><table><tr><th>scenario</th>");
        // The columns the run had (older runs: the four proxy columns).
        List<List<String>> columns = (List<List<String>>) doc.getOrDefault("columns", List.of(List.of("reference", "reference"),
                List.of("contextforge", "as shipped"), List.of("contextforge-tuned", "tuned"),
                List.of("contextforge-pgbouncer", "behind PgBouncer")));
        for (List<String> c : columns) {
            t.append("<th>").append(c.get(0).equals("reference") ? "reference" : "ContextForge " + esc(c.get(1))).append("</th>");
        }
        t.append("</tr>\n");
        for (Map<String, String> row : (List<Map<String, String>>) doc.get("rows")) {
            t.append("<tr><th>").append(esc(row.get("scenario"))).append("</th>");
            for (String target : columns.stream().map(c -> c.get(0)).toList()) {
                String status = row.getOrDefault(target, "—");
                String css = status.equals("passed") || status.equals("failed") || status.equals("skipped") ? status : "notrun";
                t.append("<td class=\"").append(css).append("\">").append(esc(status));
                String detail = row.get(target + " detail");
                if (detail != null && !status.equals("passed")) {
                    t.append("<div class=\"err\">").append(esc(abbreviate(detail, 300))).append("</div>");
                }
                String figures = row.get(target + " figures");
                if (figures != null) {
                    t.append("<div class=\"fig\">").append(esc(figures)).append("</div>");
                }
                String why = row.get(target + " why");
                if (why != null && !status.equals("passed")) {
                    t.append("<div class=\"why\">why: ").append(esc(why)).append("</div>");
                }
                t.append("</td>");
            }
            t.append("</tr>\n");
        }
        List<String> diffs = (List<String>) doc.getOrDefault("differences", List.of());
        t.append("</table><p>Differences from the expectations recorded for this ContextForge version: ")
                .append(diffs.isEmpty() ? "none" : esc(String.join("; ", diffs))).append(".</p>\n");
        return t.toString();
    }

    /** The topology of a run of one, from its run context ("deployment (-Dtopology=pgbouncer)"). */
    static String topologyOf(Map<String, String> context) {
        return context.keySet().stream().filter(k -> k.startsWith("deployment (-Dtopology=")).findFirst()
                .map(k -> k.substring("deployment (-Dtopology=".length(), k.length() - 1)).orElse("direct");
    }

    /** The topologies of a run of several (-Dtopology=all), in run order; empty for a run of one. */
    static List<String> topologies(List<ScenarioResult> results) {
        return results.stream().map(ScenarioResult::topology).filter(java.util.Objects::nonNull).distinct().toList();
    }

    /** What a set of runs of one test case came to: "passed", "failed (1 of 5)", "3 passed, 2 skipped", … */
    private static String summary(List<ScenarioResult> mine) {
        long p = mine.stream().filter(r -> r.status().equals("passed")).count();
        long f = mine.stream().filter(r -> r.status().equals("failed")).count();
        long k = mine.size() - p - f;
        return mine.isEmpty() ? "not in this run"
                : f > 0 ? "failed" + (mine.size() > 1 ? " (" + f + " of " + mine.size() + ")" : "")
                : k == 0 ? "passed" : p == 0 ? "skipped" : p + " passed, " + k + " skipped";
    }

    private static String css(String cell) {
        return cell.startsWith("failed") ? "failed" : cell.equals("passed") ? "passed" : "notrun";
    }

    /** Each fault scenario's figures, per topology: time to detect, recover, RTO, writes lost, a switchover's window. */
    private static String figures(List<ScenarioResult> results, Map<String, String> context) {
        List<String> tops = topologies(results);
        List<String> columns = tops.isEmpty() ? List.of(topologyOf(context)) : tops;
        List<String> names = results.stream().filter(r -> !r.figures().isEmpty()).map(ScenarioResult::name).distinct().toList();
        if (names.isEmpty()) {
            return "";
        }
        StringBuilder t = new StringBuilder("<h2>Figures").append(tops.isEmpty() ? "" : " by topology")
                .append("</h2><p>From each fault scenario's history: time to detect (fault → first failed answer to a request begun after it), to recover ")
                .append("(heal → lasting success), RTO (primary lost → first acknowledged write), acknowledged writes lost, a ")
                .append("switchover's error window, and the longest any request of the scenario was held. The SLOs each was judged against are in the scenario's evidence.</p>")
                .append("<table><tr><th>scenario</th>");
        columns.forEach(c -> t.append("<th>").append(esc(c)).append("</th>"));
        t.append("</tr>\n");
        for (String name : names) {
            t.append("<tr><th>").append(esc(name)).append("</th>");
            for (String c : columns) {
                ScenarioResult r = results.stream().filter(x -> x.name().equals(name)
                        && (tops.isEmpty() || c.equals(x.topology()))).findFirst().orElse(null);
                String cell = r == null ? "—" : r.figures().isEmpty() ? r.status() : r.figuresLine();
                t.append("<td class=\"").append(r == null ? "notrun" : r.status()).append("\">").append(esc(cell)).append("</td>");
            }
            t.append("</tr>\n");
        }
        return t.append("</table>\n").toString();
    }

    private static String matrix(List<ScenarioResult> results, Map<String, String> context) throws IOException {
        String[] columns = {"Connection", "Pool", "Failover", "Transaction", "Docker", "K8s"};
        List<String> tops = topologies(results);
        StringBuilder t = new StringBuilder("<table><tr><th>Test case</th>");
        for (String c : columns) {
            t.append("<th>").append(c).append("</th>");
        }
        for (String top : tops) {
            t.append("<th>topology ").append(esc(top)).append("</th>");
        }
        t.append("</tr>\n");
        boolean containers = "containers".equals(context.get("lab"));
        for (String line : matrixRows()) {
            String[] cells = line.split(",", -1);
            String id = cells[0];
            List<ScenarioResult> mine = results.stream().filter(r -> r.has("@" + id)).toList();
            String status = summary(mine);
            t.append("<tr><th>").append(id).append(" ").append(esc(cells[1])).append("</th>");
            for (int i = 0; i < columns.length; i++) {
                if (!"x".equals(cells[2 + i])) {
                    t.append("<td></td>");
                    continue;
                }
                String cell;
                if (columns[i].equals("K8s")) {
                    cell = "not run (no Kubernetes lab)";
                } else if (columns[i].equals("Docker") && !containers) {
                    cell = "not run (embedded lab)";
                } else {
                    cell = status;
                }
                t.append("<td class=\"").append(css(cell)).append("\">").append(esc(cell)).append("</td>");
            }
            for (String top : tops) {
                String cell = summary(mine.stream().filter(r -> top.equals(r.topology())).toList());
                t.append("<td class=\"").append(css(cell)).append("\">").append(esc(cell)).append("</td>");
            }
            t.append("</tr>\n");
        }
        return t.append("</table>\n").toString();
    }

    private static List<String> matrixRows() throws IOException {
        try (InputStream in = IndexPage.class.getClassLoader().getResourceAsStream("test-matrix.csv")) {
            if (in == null) {
                return List.of();
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.startsWith("#") && !l.startsWith("case,") && !l.isBlank()).toList();
        }
    }

    /** The stories, from the feature files' headers (so a story with no scenario in this run still shows). */
    static List<Story> stories() throws IOException {
        List<Story> out = new ArrayList<>();
        for (Features.Parsed f : Features.read(Path.of("features"))) {
            if (!f.tags().isEmpty()) {
                List<String> narrative = f.description().lines().map(String::strip).toList();
                out.add(new Story(f.tags().get(0).substring(1), f.name(), narrative));
            }
        }
        return out;
    }

    private static String abbreviate(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n) + "…";
    }

    static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
