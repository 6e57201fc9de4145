package io.pgresilience.faults.kernel;

import io.pgresilience.lab.Leftovers;
import io.pgresilience.support.Command;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes what kernel nets of killed runs left: every namespace ({@code pgr<pid>-<n>-<role>}) and root-namespace link
 * ({@code pgr<pid>g<n>}) whose owner pid no longer runs, the processes inside such a namespace killed first. Nets of
 * live owners (this JVM's, another run's) are left alone. Without CAP_NET_ADMIN or {@code ip} it does nothing (such a
 * machine cannot have made any).
 */
public final class KernelLeftovers {

    private static final Pattern LINK_LINE = Pattern.compile("^\\d+:\\s+([^:@\\s]+)[@:]", Pattern.MULTILINE);

    private KernelLeftovers() {
    }

    /** Sweeps; returns what it removed, one entry each, for one line in the run's output. */
    public static List<String> sweep() {
        List<String> removed = new ArrayList<>();
        if (!Ip.netAdmin() || Ip.locate("ip").isEmpty()) {
            return removed;
        }
        for (String link : links()) {
            Matcher m = KernelNet.ROOT_LINK.matcher(link);
            if (m.matches() && !alive(m.group(1))) {
                Optional<String> failure = deleteLink(link);
                removed.add(failure.orElse("removed link " + link + " (owner pid " + m.group(1) + " gone)"));
            }
        }
        for (String ns : namespaces()) {
            Matcher m = KernelNet.NAMESPACE.matcher(ns);
            if (m.matches() && !alive(m.group(1))) {
                Optional<String> failure = deleteNamespace(ns);
                removed.add(failure.orElse("removed network namespace " + ns + " (owner pid " + m.group(1) + " gone)"));
            }
        }
        return removed;
    }

    /** Every namespace whose name starts with the room's prefix, whoever owns it. */
    public static List<String> namespaces() {
        List<String> out = new ArrayList<>();
        for (String line : Ip.ip("list namespaces", "netns", "list").split("\n")) {
            String name = line.trim().split("\\s+")[0];
            if (name.startsWith(KernelNet.PREFIX)) {
                out.add(name);
            }
        }
        return out;
    }

    /** Every root-namespace link whose name starts with the room's prefix, whoever owns it. */
    public static List<String> links() {
        List<String> out = new ArrayList<>();
        Matcher m = LINK_LINE.matcher(Ip.ip("list links", "-o", "link", "show"));
        while (m.find()) {
            if (m.group(1).startsWith(KernelNet.PREFIX)) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    /** Deletes a root-namespace link when it exists; the failure, if any, in one line. */
    static Optional<String> deleteLink(String link) {
        if (!Ip.ipMay("link", "show", "dev", link).ok()) {
            return Optional.empty();
        }
        Command.Result r = Ip.ipMay("link", "del", "dev", link);
        return r.ok() ? Optional.empty() : Optional.of("link " + link + ": " + Command.lastLines(r.output(), 2));
    }

    /** Kills the processes inside a namespace and deletes it when it exists; the failure, if any, in one line. */
    static Optional<String> deleteNamespace(String ns) {
        if (!namespaces().contains(ns)) {
            return Optional.empty();
        }
        Command.Result pids = Ip.ipMay("netns", "pids", ns);
        if (pids.ok()) {
            for (String p : pids.output().trim().split("\\s+")) {
                if (p.matches("\\d+")) {
                    ProcessHandle.of(Long.parseLong(p)).ifPresent(Leftovers::killTree);
                }
            }
        }
        Command.Result r = Ip.ipMay("netns", "del", ns);
        return r.ok() ? Optional.empty() : Optional.of("namespace " + ns + ": " + Command.lastLines(r.output(), 2));
    }

    private static boolean alive(String pid) {
        return ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
    }
}
