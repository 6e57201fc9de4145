package io.pgresilience.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The site is built again from the same Allure results (after a run of several topologies): nothing doubles. */
class SiteBuilderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void tidyingTheResultsTwiceChangesThemOnce(@TempDir Path results) throws Exception {
        Path file = results.resolve("a-result.json");
        Files.writeString(file, """
                {"uuid": "a", "name": "CL-01 Database shutdown", "historyId": "h", "testCaseId": "c", "status": "passed",
                 "labels": [{"name": "tag", "value": "CL-01"}],
                 "parameters": [{"name": "%s", "value": "pgbouncer"}]}
                """.formatted(TopologyParameter.NAME));
        SiteBuilder.tidyResults(results);
        String once = Files.readString(file);
        SiteBuilder.tidyResults(results);
        JsonNode r = JSON.readTree(file.toFile());
        assertThat(r.path("name").asText()).isEqualTo("CL-01 Database shutdown [pgbouncer]");
        assertThat(r.path("historyId").asText()).isEqualTo("h-pgbouncer");
        assertThat(r.path("testCaseId").asText()).isEqualTo("c-pgbouncer");
        assertThat(r.path("links")).hasSize(1);
        assertThat(r.path("labels").findValuesAsText("name")).containsOnlyOnce("testId", "story", "feature");
        assertThat(r.path("labels").toString()).contains("\"story\",\"value\":\"CL-01 Database shutdown\"");
        assertThat(JSON.readTree(once)).isEqualTo(r);
    }
}
