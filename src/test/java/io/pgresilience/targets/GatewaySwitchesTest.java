package io.pgresilience.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgresilience.config.Settings;
import io.pgresilience.support.LabException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewaySwitchesTest {

    @Test
    void switchesReachTheEnvironmentAndWin() {
        GatewaySwitches s = GatewaySwitches.of(Map.of("LOG_LEVEL", "DEBUG"));
        Map<String, String> env = new LinkedHashMap<>(Map.of("LOG_LEVEL", "WARNING", "PORT", "1"));
        assertThat(s.applyTo(env)).containsEntry("LOG_LEVEL", "DEBUG").containsEntry("PORT", "1");
    }

    @Test
    void secretLookingValuesAreMaskedAndRegistered() {
        Map<String, String> in = new LinkedHashMap<>();
        in.put("API_TOKEN", "tok-0123456789");
        in.put("JWT_SECRET_KEY", "k-0123456789");
        in.put("db_password", "pw-0123456789");
        in.put("FEATURE_X", "on");
        GatewaySwitches s = GatewaySwitches.of(in);
        assertThat(s.describe()).contains("API_TOKEN=***", "JWT_SECRET_KEY=***", "db_password=***", "FEATURE_X=on")
                .doesNotContain("0123456789");
        assertThat(s.secrets()).containsOnlyKeys("gateway switch API_TOKEN", "gateway switch JWT_SECRET_KEY",
                "gateway switch db_password");
        assertThat(s.secrets().values()).containsExactlyInAnyOrder("tok-0123456789", "k-0123456789", "pw-0123456789");
    }

    @Test
    void aNameThatIsNoVariableIsOneLine() {
        assertThatThrownBy(() -> GatewaySwitches.of(Map.of("BAD-NAME", "x"))).isInstanceOf(LabException.class)
                .hasMessageContaining("-Dgateway.env.BAD-NAME");
    }

    @Test
    void settingsPickUpSystemProperties() {
        System.setProperty("gateway.env.PGR_SWITCH_TEST", "42");
        try {
            assertThat(GatewaySwitches.from(Settings.load()).environment()).containsEntry("PGR_SWITCH_TEST", "42");
        } finally {
            System.clearProperty("gateway.env.PGR_SWITCH_TEST");
        }
        assertThat(GatewaySwitches.from(Settings.load()).isEmpty()).isTrue();
    }
}
