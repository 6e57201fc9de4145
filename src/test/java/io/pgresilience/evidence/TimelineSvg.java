package io.pgresilience.evidence;

import java.util.Set;
import java.util.List;
import java.util.Locale;

/**
 * The scenario's timeline as a picture (plain SVG text): every request a mark at the time it started and the
 * latency it had, coloured by outcome, the fault window shaded and the suite's actions drawn as labelled lines.
 */
public final class TimelineSvg {

    private static final int WIDTH = 960;
    private static final int HEIGHT = 360;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int BOTTOM = 60;

    private TimelineSvg() {
    }

    /** @param verdict the judged writes, to ring the lost and the ghost ones; null when the writes were not judged */
    public static String render(String title, History history, Verdict verdict) {
        List<Operation> ops = history.operations();
        List<History.Event> events = history.events();
        Set<String> lost = verdict == null ? Set.of() : Set.copyOf(verdict.lost());
        Set<String> ghosts = verdict == null ? Set.of() : Set.copyOf(verdict.ghosts());
        // The axis starts shortly before the first request or action: the scenario's set-up is not the story.
        long first = Math.min(ops.stream().mapToLong(Operation::startMs).min().orElse(0),
                events.stream().mapToLong(History.Event::atMs).min().orElse(Long.MAX_VALUE));
        long last = Math.max(1, Math.max(
                ops.stream().mapToLong(Operation::endMs).max().orElse(1),
                events.stream().mapToLong(History.Event::atMs).max().orElse(1)));
        long origin = Math.max(0, first - Math.max(100, (last - first) / 20));
        long end = Math.max(1, last - origin);
        long maxLatency = Math.max(10, ops.stream().mapToLong(Operation::latencyMs).max().orElse(10));
        double plotW = WIDTH - LEFT - RIGHT;
        double plotH = HEIGHT - TOP - BOTTOM;
        double logMax = Math.log10(maxLatency + 1);

        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                        + "font-family=\"sans-serif\" font-size=\"11\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
                LEFT, escape(title)));

        // fault window
        Long fault = history.first(History.FAULT).orElse(null);
        Long heal = history.last(History.HEAL).orElse(null);
        if (fault != null) {
            double x1 = LEFT + plotW * (fault - origin) / end;
            double x2 = LEFT + plotW * ((heal != null && heal >= fault ? heal : last) - origin) / end;
            svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"#f4c7c3\" "
                    + "fill-opacity=\"0.55\"><title>fault window</title></rect>%n", x1, TOP, Math.max(1, x2 - x1), plotH));
        }
        // axes and grid
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>%n",
                LEFT, TOP + plotH, LEFT + plotW, TOP + plotH));
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>%n",
                LEFT, TOP, LEFT, TOP + plotH));
        for (long ms : new long[] {1, 10, 100, 1_000, 10_000, 100_000}) {
            if (ms > maxLatency * 2) {
                break;
            }
            double y = TOP + plotH - plotH * Math.log10(ms + 1) / logMax;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT, y, LEFT + plotW, y, LEFT - 6, y + 4,
                    ms >= 1000 ? (ms / 1000) + " s" : ms + " ms"));
        }
        long step = niceStep(end);
        for (long t = (origin + step - 1) / step * step; t <= last; t += step) {
            double x = LEFT + plotW * (t - origin) / end;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
                    + "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>%n", x, TOP + plotH, x, TOP + plotH + 4,
                    x, TOP + plotH + 16, String.format(Locale.ROOT, "%.1f s", t / 1000.0)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time since the scenario began"
                + "</text>%n", LEFT + plotW / 2, TOP + plotH + 32));
        svg.append(String.format(Locale.ROOT, "<text transform=\"translate(14,%.1f) rotate(-90)\" text-anchor=\"middle\">"
                + "request latency (log)</text>%n", TOP + plotH / 2));

        // requests
        for (Operation o : ops) {
            double x = LEFT + plotW * (o.startMs() - origin) / end;
            double y = TOP + plotH - plotH * Math.log10(o.latencyMs() + 1) / logMax;
            boolean judged = o.isWrite() && (lost.contains(o.key()) && o.ok() || ghosts.contains(o.key()) && !o.ok());
            String note = !judged ? "" : lost.contains(o.key()) ? " — acknowledged, then LOST" : " — reported failed, yet APPLIED";
            svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\"%s><title>%s %s → %s "
                            + "in %d ms%s</title></circle>%n", x, y, judged ? "4.5" : "2.6", colour(o.outcome()),
                    judged ? " stroke=\"black\" stroke-width=\"2\"" : "", escape(o.kind()),
                    escape(o.key() == null ? "" : o.key()), o.status() == 0 ? "no answer" : o.status(), o.latencyMs(), note));
        }
        // the suite's actions
        int row = 0;
        for (History.Event e : events) {
            double x = LEFT + plotW * (e.atMs() - origin) / end;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" "
                    + "stroke-dasharray=\"4,3\"><title>%s</title></line>%n", x, TOP - 4, x, TOP + plotH, escape(e.description())));
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"#555\">%s</text>%n", x + 3,
                    TOP + 10 + 12 * (row++ % 4), escape(e.name())));
        }
        // legend
        int lx = LEFT;
        int ly = HEIGHT - 10;
        for (Outcome outcome : Outcome.values()) {
            svg.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>%n",
                    lx, ly - 4, colour(outcome), lx + 8, ly, outcome.name().toLowerCase(Locale.ROOT)));
            lx += 90;
        }
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"#f4c7c3\"/>"
                + "<text x=\"%d\" y=\"%d\">fault window</text>%n", lx, ly - 9, lx + 18, ly));
        lx += 110;
        svg.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"4.5\" fill=\"#2e7d32\" stroke=\"black\" "
                + "stroke-width=\"2\"/><text x=\"%d\" y=\"%d\">acknowledged, then lost (%d)</text>%n", lx, ly - 4, lx + 8, ly,
                lost.size()));
        lx += 200;
        svg.append(String.format(Locale.ROOT, "<circle cx=\"%d\" cy=\"%d\" r=\"4.5\" fill=\"#c62828\" stroke=\"black\" "
                + "stroke-width=\"2\"/><text x=\"%d\" y=\"%d\">failed, yet applied (%d)</text>%n", lx, ly - 4, lx + 8, ly,
                ghosts.size()));
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static String colour(Outcome o) {
        return switch (o) {
            case OK -> "#2e7d32";
            case FAIL -> "#c62828";
            case UNKNOWN -> "#ef6c00";
        };
    }

    private static long niceStep(long end) {
        long[] steps = {100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000};
        for (long s : steps) {
            if (end / s <= 10) {
                return s;
            }
        }
        return 120_000;
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
