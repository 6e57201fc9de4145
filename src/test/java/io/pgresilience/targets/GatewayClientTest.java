package io.pgresilience.targets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class GatewayClientTest {

    @Test
    void anErrorAndItsMessageAreReadFromTheFirstFieldPresent() {
        var json = GatewayClient.parse("{\"error\":\"database_unavailable\",\"message\":\"no connection\",\"n\":1}");
        assertThat(GatewayClient.field(json, GatewayClient.ERROR_FIELDS)).isEqualTo("database_unavailable");
        assertThat(GatewayClient.field(json, GatewayClient.MESSAGE_FIELDS)).isEqualTo("no connection");
        var fastApi = GatewayClient.parse("{\"detail\":[{\"loc\":[\"body\",\"name\"],\"msg\":\"Field required\"}]}");
        assertThat(GatewayClient.field(fastApi, GatewayClient.ERROR_FIELDS))
                .isEqualTo("[{\"loc\":[\"body\",\"name\"],\"msg\":\"Field required\"}]");
        assertThat(GatewayClient.field(GatewayClient.parse("{\"error\":null,\"detail\":\"Not found\"}"), List.of("error", "detail")))
                .isEqualTo("Not found");
        assertThat(GatewayClient.field(GatewayClient.parse("<html>502 Bad Gateway</html>"), GatewayClient.ERROR_FIELDS)).isNull();
        assertThat(GatewayClient.field(GatewayClient.parse(""), GatewayClient.ERROR_FIELDS)).isNull();
    }

    @Test
    void aReadSaysWhetherTheListHoldsTheName() {
        var list = GatewayClient.parse("[{\"name\":\"a\"},{\"name\":\"s3-wl-2\"}]");
        assertThat(GatewayClient.found(200, list, "s3-wl-2")).isEqualTo("found");
        assertThat(GatewayClient.found(200, list, "s3-wl-3")).isEqualTo("missing");
        assertThat(GatewayClient.found(200, GatewayClient.parse("not json"), "a")).isEqualTo("unreadable");
        assertThat(GatewayClient.found(503, list, "a")).isNull();
    }
}
