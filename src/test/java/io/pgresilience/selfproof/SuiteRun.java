package io.pgresilience.selfproof;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.pgresilience.RunCucumberTest;
import io.pgresilience.lab.Deployment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * One whole run of the acceptance suite inside this JVM, with some settings overridden: what passed, what failed
 * (by scenario name), how long it took. The self-proof commands are built from it.
 *
 * @param failedWithReasons each failed scenario with the first lines of what failed it (for a log that shows only its
 *                          tail)
 */
public record SuiteRun(String label, List<String> passed, List<String> failed, List<String> skipped, Duration wallTime,
                       List<String> failedWithReasons) {

    /**
     * @param overrides settings for this run (e.g. gateway.defects), restored afterwards
     * @param jsonReport where this run's Cucumber JSON goes
     */
    public static SuiteRun of(String label, Map<String, String> overrides, String jsonReport) {
        return of(label, overrides, jsonReport, false);
    }

    /** @param allure also write Allure results (into target/allure-results, for a site built afterwards) */
    public static SuiteRun of(String label, Map<String, String> overrides, String jsonReport, boolean allure) {
        // -Dtopology=all is a fan-out of whole runs (AllTopologies, FlakeHunt), never a lab: a run that inherited it
        // would fail every scenario with "unknown topology 'all'". One line instead, before anything starts.
        if ("all".equals(overrides.getOrDefault("topology", System.getProperty("topology", "")).trim())) {
            throw new IllegalArgumentException("-Dtopology=all runs the acceptance suite once per topology; '" + label
                    + "' runs it in one: use one of -Dtopology=" + String.join(", -Dtopology=", Deployment.keys()));
        }
        Map<String, String> previous = new LinkedHashMap<>();
        Map<String, String> all = new LinkedHashMap<>(overrides);
        all.putIfAbsent("site", "false");
        all.forEach((k, v) -> previous.put(k, System.setProperty(k, v)));
        List<String> passed = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        List<String> failedWithReasons = new ArrayList<>();
        long start = System.nanoTime();
        try {
            LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                    .selectors(selectClass(RunCucumberTest.class))
                    .configurationParameter("cucumber.plugin", "summary, json:" + jsonReport
                            + (allure ? ", io.qameta.allure.cucumber7jvm.AllureCucumber7Jvm" : ""))
                    .build();
            Launcher launcher = LauncherFactory.create();
            launcher.execute(request, new TestExecutionListener() {
                @Override
                public void executionSkipped(TestIdentifier id, String reason) {
                    if (id.isTest()) {
                        skipped.add(id.getDisplayName());
                    }
                }

                @Override
                public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                    if (!id.isTest()) {
                        return;
                    }
                    switch (result.getStatus()) {
                        case SUCCESSFUL -> passed.add(id.getDisplayName());
                        case ABORTED -> skipped.add(id.getDisplayName());
                        case FAILED -> {
                            failed.add(id.getDisplayName());
                            String why = result.getThrowable().map(SuiteRun::firstLines).orElse("no reason given");
                            failedWithReasons.add(id.getDisplayName() + " — " + why);
                            System.err.println("pg-resilience: " + label + ": FAILED " + id.getDisplayName() + ": " + why);
                        }
                    }
                }
            });
        } finally {
            previous.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
        }
        return new SuiteRun(label, passed, failed, skipped, Duration.ofNanos(System.nanoTime() - start),
                failedWithReasons);
    }

    private static String firstLines(Throwable t) {
        String m = String.valueOf(t.getMessage()).strip();
        String[] lines = m.split("\\R");
        String head = String.join(" / ", java.util.Arrays.copyOf(lines, Math.min(lines.length, 4)));
        return head.length() > 600 ? head.substring(0, 600) + "…" : head;
    }

    /** passed, failed or skipped, as JUnit reported the scenario; empty if this run did not run it. */
    public Optional<String> statusOf(String scenario) {
        return failed.contains(scenario) ? Optional.of("failed")
                : passed.contains(scenario) ? Optional.of("passed")
                : skipped.contains(scenario) ? Optional.of("skipped") : Optional.empty();
    }

    /** The first lines of what failed the scenario, as JUnit reported it. */
    public Optional<String> reasonOf(String scenario) {
        return failedWithReasons.stream().filter(r -> r.startsWith(scenario + " — ")).map(r -> r.substring(scenario.length() + 3))
                .findFirst();
    }

    public boolean green() {
        return failed.isEmpty() && !passed.isEmpty();
    }
}
