package io.pgresilience.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgresilience.support.LabException;
import java.io.IOException;
import java.io.StringReader;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class DeploymentSpecTest {

    private static DeploymentSpec parse(String text) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return DeploymentSpec.parse("test", p);
    }

    @Test
    void contextForgeComposeLoadsEveryPartWithItsSource() {
        DeploymentSpec d = DeploymentSpec.load("contextforge-compose");
        for (String part : new String[] {"nginx", "gateway", "redis", "pgbouncer", "postgresql"}) {
            assertThat(d.settings(part)).as(part).isNotEmpty()
                    .allSatisfy(s -> assertThat(s.source()).matches("[\\w./-]+:\\d+"));
        }
        assertThat(d.value("pgbouncer", "query_wait_timeout")).isEqualTo("60");
        assertThat(d.setting("pgbouncer", "query_wait_timeout").source()).isEqualTo("docker-compose.yml:973");
        assertThat(d.setting("gateway", "replicas").shipped()).isEqualTo("3");
        assertThat(d.value("gateway", "replicas")).isEqualTo("2");
        assertThat(d.value("pgbouncer", "version")).isEqualTo("1.24.1");
        assertThat(d.values("gateway", "env.")).containsEntry("DB_POOL_SIZE", "20").containsEntry("CACHE_TYPE", "redis");
        assertThat(d.scaled()).anyMatch(s -> s.startsWith("gateway.workers 17 → 2"));
    }

    @Test
    void anUnknownDeploymentIsOneLine() {
        assertThatThrownBy(() -> DeploymentSpec.load("compose-of-nowhere")).isInstanceOf(LabException.class)
                .hasMessage("unknown deployment 'compose-of-nowhere' (known: contextforge-compose)");
    }

    @Test
    void anUnknownPartIsOneLine() {
        assertThatThrownBy(() -> parse("haproxy.maxconn=10 @ a.cfg:1")).isInstanceOf(LabException.class)
                .hasMessageStartingWith("deployment test: unknown part 'haproxy' in haproxy.maxconn (known: deployment, lab, nginx,");
    }

    @Test
    void anUnknownSettingIsOneLine() {
        assertThatThrownBy(() -> parse("pgbouncer.query_wait_timout=60 @ docker-compose.yml:973")).isInstanceOf(LabException.class)
                .hasMessageStartingWith("deployment test: part pgbouncer has no setting 'query_wait_timout' (known: ")
                .hasMessageNotContaining("\n");
    }

    @Test
    void aRestartDowntimeIsMillisecondsWithItsReason() {
        assertThat(DeploymentSpec.load("contextforge-compose").setting("lab", "restart-downtime-ms").source())
                .isEqualTo("docker-compose.yml:802");
        assertThatThrownBy(() -> parse("lab.restart-downtime-ms=1s @ docker-compose.yml:802")).isInstanceOf(LabException.class)
                .hasMessage("deployment test: lab.restart-downtime-ms is a number of milliseconds, not '1s'");
    }

    @Test
    void aValueWithoutItsSourceIsRefused() {
        assertThatThrownBy(() -> parse("pgbouncer.query_wait_timeout=60")).isInstanceOf(LabException.class)
                .hasMessageContaining("has no source");
    }

    @Test
    void aScaleLineMustScaleASettingTheDeploymentSets() {
        assertThatThrownBy(() -> parse("gateway.workers=17 @ c.yml:1\nscale.gateway.replicas=2")).isInstanceOf(LabException.class)
                .hasMessage("deployment test: scale.gateway.replicas scales a setting the deployment does not set");
    }

    @Test
    void aVersionThatDoesNotFitIsOneLine() {
        DeploymentSpec d = DeploymentSpec.load("contextforge-compose");
        d.checkVersion("pgbouncer", "/usr/local/lib/pgbouncer-1.24.1/bin/pgbouncer", "PgBouncer 1.24.1\nlibevent 2.1.12-stable");
        d.checkVersion("nginx", "nginx", "nginx version: nginx/1.22.1");
        assertThatThrownBy(() -> d.checkVersion("pgbouncer", "/usr/sbin/pgbouncer", "PgBouncer 1.18.0\nlibevent 2.1.12"))
                .isInstanceOf(LabException.class)
                .hasMessage("deployment contextforge-compose needs pgbouncer 1.24.1: /usr/sbin/pgbouncer is 1.18.0 "
                        + "(build it with src/test/tools/build-pgbouncer.sh, or -Dpgbouncer.bin=)");
        assertThatThrownBy(() -> d.checkVersion("nginx", "nginx", "nginx version: nginx/1.2.9")).isInstanceOf(LabException.class);
    }
}
