package io.pgresilience.suite;

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

/** The run's tag filter (-Dcucumber.filter.tags) checked against the scenarios of features/, before anything starts. */
public final class TagFilter {

    private TagFilter() {
    }

    /** The filter given to this run, or null for the whole suite. */
    public static String given() {
        String f = System.getProperty("cucumber.filter.tags", "");
        return f.isBlank() ? null : f.trim();
    }

    /**
     * Why the filter cannot work (it does not parse, or matches no scenario), in one line; null when it is fine or absent.
     */
    public static String problem(String filter, Path features) throws IOException {
        if (filter == null) {
            return null;
        }
        Expression expression;
        try {
            expression = TagExpressionParser.parse(filter);
        } catch (TagExpressionException e) {
            return "-Dcucumber.filter.tags=\"" + filter + "\" is not a tag expression: " + e.getMessage();
        }
        List<List<String>> scenarios = scenarioTags(features);
        if (scenarios.stream().anyMatch(expression::evaluate)) {
            return null;
        }
        TreeSet<String> known = new TreeSet<>();
        scenarios.forEach(known::addAll);
        return "no scenario matches -Dcucumber.filter.tags=\"" + filter + "\"; the features' tags are " + String.join(" ", known);
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
