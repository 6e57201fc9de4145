package io.pgresilience.suite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cucumber.tagexpressions.Expression;
import io.cucumber.tagexpressions.TagExpressionException;
import io.cucumber.tagexpressions.TagExpressionParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A tag filter that selects nothing is a mistake, not a green run: -Dcucumber.filter.tags must parse and match at
 * least one scenario of features/, or the build fails with one line naming the tags that exist.
 */
class TagFilterTest {

    @Test
    void theTagFilterSelectsScenarios() throws IOException {
        String filter = System.getProperty("cucumber.filter.tags", "");
        assumeTrue(!filter.isBlank(), "no tag filter given: the whole suite runs");
        Expression expression;
        try {
            expression = TagExpressionParser.parse(filter);
        } catch (TagExpressionException e) {
            throw new AssertionError("-Dcucumber.filter.tags=\"" + filter + "\" is not a tag expression: " + e.getMessage());
        }
        List<List<String>> scenarios = scenarioTags(Path.of("features"));
        long matching = scenarios.stream().filter(expression::evaluate).count();
        TreeSet<String> known = new TreeSet<>();
        scenarios.forEach(known::addAll);
        assertThat(matching).as("scenarios matching -Dcucumber.filter.tags=\"" + filter + "\" (tags in the features: "
                + String.join(" ", known) + ")").isPositive();
    }

    /** The tags of every scenario (and of every example of an outline), feature tags included. */
    static List<List<String>> scenarioTags(Path features) throws IOException {
        List<List<String>> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(features)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".feature")).toList()) {
                List<String> featureTags = new ArrayList<>();
                List<String> scenario = new ArrayList<>();
                List<String> pending = new ArrayList<>();
                boolean outline = false;
                for (String raw : Files.readAllLines(f)) {
                    String line = raw.strip();
                    if (line.startsWith("@")) {
                        for (String t : line.split("\\s+")) {
                            if (t.startsWith("@")) {
                                pending.add(t);
                            }
                        }
                    } else if (line.startsWith("Feature:")) {
                        featureTags = new ArrayList<>(pending);
                        pending.clear();
                    } else if (line.startsWith("Scenario")) {
                        scenario = new ArrayList<>(featureTags);
                        scenario.addAll(pending);
                        pending.clear();
                        outline = line.startsWith("Scenario Outline") || line.startsWith("Scenario Template");
                        if (!outline) {
                            out.add(scenario);
                        }
                    } else if (line.startsWith("Examples:") && outline) {
                        List<String> example = new ArrayList<>(scenario);
                        example.addAll(pending);
                        pending.clear();
                        out.add(example);
                    }
                }
            }
        }
        return out;
    }
}
