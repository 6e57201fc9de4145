package io.pgresilience.suite;

import io.cucumber.gherkin.GherkinParser;
import io.cucumber.messages.types.Envelope;
import io.cucumber.messages.types.Feature;
import io.cucumber.messages.types.Pickle;
import io.cucumber.messages.types.PickleTag;
import io.cucumber.messages.types.Tag;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The feature files as Cucumber itself reads them (its Gherkin parser): each feature's header and its pickles' tags. */
public final class Features {

    /** A feature's header and the tags of every scenario it runs (one per example of an outline, feature tags included). */
    public record Parsed(Path file, List<String> tags, String name, String description, List<List<String>> scenarioTags) {
    }

    private Features() {
    }

    public static List<Parsed> read(Path dir) throws IOException {
        GherkinParser parser = GherkinParser.builder().includeSource(false).includeGherkinDocument(true).includePickles(true).build();
        List<Parsed> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".feature")).sorted().toList()) {
                List<Envelope> envelopes;
                try (Stream<Envelope> s = parser.parse(f)) {
                    envelopes = s.toList();
                } catch (UncheckedIOException e) {
                    throw e.getCause();
                }
                Feature feature = envelopes.stream().flatMap(e -> e.getGherkinDocument().stream())
                        .flatMap(d -> d.getFeature().stream()).findFirst().orElse(null);
                if (feature == null) {
                    continue;
                }
                List<List<String>> scenarios = envelopes.stream().flatMap(e -> e.getPickle().stream())
                        .map(Pickle::getTags).map(tags -> tags.stream().map(PickleTag::getName).toList()).toList();
                out.add(new Parsed(f, feature.getTags().stream().map(Tag::getName).toList(), feature.getName().strip(),
                        feature.getDescription() == null ? "" : feature.getDescription().strip(), scenarios));
            }
        }
        return out;
    }
}
