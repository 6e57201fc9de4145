package io.pgresilience.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a run was: target gateway and version, PostgreSQL version, topology, pool and timeout settings, date and tag
 * filter. Written for Allure's environment widget and for the site's front page. Never holds a secret.
 */
public final class RunContext {

    public static final Path ALLURE_RESULTS = Path.of("target", "allure-results");
    public static final Path FILE = Path.of("reports", "run-context.json");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RunContext() {
    }

    /** The tag expression the run was given, or null for the whole suite. */
    public static String tagFilter() {
        String tags = System.getProperty("cucumber.filter.tags");
        return tags == null || tags.isBlank() ? null : tags.trim();
    }

    public static Map<String, String> of(Map<String, String> target, Map<String, String> lab, Map<String, String> figures) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        c.put("tag filter", tagFilter() == null ? "none (the whole suite)" : tagFilter());
        c.putAll(lab);
        c.putAll(target);
        c.putAll(figures);
        return c;
    }

    public static void write(Map<String, String> context) {
        String part = System.getProperty("run-context.file", "");
        if (!part.isBlank()) {
            // one part of a run of several (-Dtopology=all): its context is merged into the site's afterwards
            try {
                Files.createDirectories(Path.of(part).toAbsolutePath().getParent());
                Files.writeString(Path.of(part), JSON.writeValueAsString(context));
            } catch (IOException e) {
                System.err.println("pg-resilience: cannot write the run context: " + e.getMessage());
            }
            return;
        }
        if ("false".equals(System.getProperty("site"))) {
            return; // a run inside a self-proof command: the published site describes the main run, not this one
        }
        try {
            Files.createDirectories(ALLURE_RESULTS);
            Files.createDirectories(FILE.getParent());
            // Allure's environment.xml, which (unlike .properties) allows spaces in the names.
            String env = "<environment>\n" + context.entrySet().stream()
                    .map(e -> "  <parameter><key>" + xml(e.getKey()) + "</key><value>" + xml(e.getValue()) + "</value></parameter>")
                    .collect(Collectors.joining("\n")) + "\n</environment>\n";
            Files.writeString(ALLURE_RESULTS.resolve("environment.xml"), env);
            Files.writeString(FILE, JSON.writeValueAsString(context));
        } catch (IOException e) {
            System.err.println("pg-resilience: cannot write the run context: " + e.getMessage());
        }
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    public static Map<String, String> read() {
        return read(FILE);
    }

    @SuppressWarnings("unchecked")
    public static Map<String, String> read(Path file) {
        try {
            return Files.exists(file) ? JSON.readValue(file.toFile(), Map.class) : Map.of();
        } catch (IOException e) {
            return Map.of();
        }
    }
}
