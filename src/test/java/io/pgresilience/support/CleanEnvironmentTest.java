package io.pgresilience.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** libpq's variables never reach a process of the suite; a build setting such as PG_CONFIG does. */
class CleanEnvironmentTest {

    @Test
    void libpqVariablesAreScrubbedAndNothingElse() {
        Map<String, String> env = new HashMap<>(Map.of("PGSSLMODE", "require", "PGHOST", "elsewhere", "PGOPTIONS", "-c x=1",
                "PGCONNECT_TIMEOUT", "1", "PG_CONFIG", "/usr/bin/pg_config", "PATH", "/usr/bin", "PAGER", "less"));
        CleanEnvironment.scrub(env);
        assertThat(env).containsOnlyKeys("PG_CONFIG", "PATH", "PAGER");
    }

    @Test
    void aProcessStartedByTheSuiteSeesNoLibpqVariable() {
        // The suite's own JVM may have any: a Command never passes one on, unless the suite gives it explicitly.
        String out = Command.of("/bin/sh", "-c", "env | grep -c '^PG[A-Z]' || true").env(Map.of("PGAPPNAME", "given"))
                .run().output().strip();
        assertThat(out).isEqualTo("1");
    }
}
