package io.pgresilience.report;

import io.pgresilience.run.RunContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestPlan;

/**
 * Builds the living-documentation site when a run of the acceptance suite ends (registered with the JUnit Platform
 * through META-INF/services), so that the one command that runs the suite also publishes it, passed or failed.
 * Runs only when Cucumber ran with the Allure plugin in this launcher; it starts from empty Allure results.
 */
public final class LivingDocumentation implements TestExecutionListener {

    private boolean active;

    @Override
    public void testPlanExecutionStarted(TestPlan plan) {
        boolean cucumber = plan.countTestIdentifiers(id -> id.getUniqueId().contains("[engine:cucumber]")) > 0;
        boolean allure = plan.getConfigurationParameters().get("cucumber.plugin")
                .map(p -> p.contains("AllureCucumber7Jvm")).orElse(false);
        active = cucumber && allure && !"false".equals(System.getProperty("site"));
        if (active) {
            deleteTree(RunContext.ALLURE_RESULTS);
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan plan) {
        if (!active || !hasResults()) {
            return;
        }
        try {
            SiteBuilder.build();
            System.err.println("pg-resilience: documentation site: " + Path.of("reports", "index.html").toAbsolutePath().toUri());
        } catch (IOException | RuntimeException e) {
            System.err.println("pg-resilience: the documentation site could not be built: " + e.getMessage());
        }
    }

    private static boolean hasResults() {
        try (Stream<Path> files = Files.list(RunContext.ALLURE_RESULTS)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith("-result.json"));
        } catch (IOException e) {
            return false;
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("pg-resilience: cannot clean " + dir + ": " + e.getMessage());
        }
    }
}
