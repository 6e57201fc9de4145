package io.pgresilience.suite;

import io.cucumber.tagexpressions.Expression;
import io.cucumber.tagexpressions.TagExpressionException;
import io.cucumber.tagexpressions.TagExpressionParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;

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
        return Features.read(features).stream().flatMap(f -> f.scenarioTags().stream()).toList();
    }
}
