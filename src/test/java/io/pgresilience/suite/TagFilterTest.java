package io.pgresilience.suite;

import org.assertj.core.api.Assertions;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A tag filter that selects nothing is a mistake, not a green run: -Dcucumber.filter.tags must parse and match at
 * least one scenario of features/, or the build fails with one line naming the tags that exist.
 */
class TagFilterTest {

    @Test
    void theTagFilterSelectsScenarios() throws IOException {
        assumeTrue(TagFilter.given() != null, "no tag filter given: the whole suite runs");
        String problem = TagFilter.problem(TagFilter.given(), Path.of("features"));
        if (problem != null) {
            fail(problem);
        }
    }

    @Test
    void aFilterThatMatchesNothingOrDoesNotParseIsAProblem() throws IOException {
        Path features = Path.of("features");
        Assertions.assertThat(TagFilter.problem("@CL-01", features)).isNull();
        Assertions.assertThat(TagFilter.problem("@failover and not @FO-03", features)).isNull();
        Assertions.assertThat(TagFilter.problem("@CL-99", features)).startsWith("no scenario matches");
        Assertions.assertThat(TagFilter.problem("@CL-01 and", features)).contains("is not a tag expression");
    }
}
