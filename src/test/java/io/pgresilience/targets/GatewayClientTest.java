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

    @Test
    void aReplyReadsItsFieldsWithJacksonAndSaysWhatIsMissing() {
        Reply pool = new Reply(200, "{\"active\":0,\"idle\":5,\"name\":\"p\"}", null, 3, null, null);
        assertThat(pool.integer("active")).isZero();
        assertThat(pool.text("name")).isEqualTo("p");
        assertThat(pool.text("idle")).isEqualTo("5");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> pool.integer("borrowed")).isInstanceOf(AssertionError.class)
                .hasMessageContaining("no whole number 'borrowed'").hasMessageContaining("{\"active\":0");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> pool.integer("name")).isInstanceOf(AssertionError.class);
        Reply list = new Reply(200, "[{\"name\":\"a\"},{\"name\":\"b\"},{\"id\":1}]", null, 3, null, null);
        assertThat(list.each("name")).containsExactly("a", "b", null);
        assertThat(new Reply(200, "[]", null, 3, null, null).each("name")).isEmpty();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> pool.each("name")).isInstanceOf(AssertionError.class)
                .hasMessageContaining("not a JSON array");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Reply(502, "<html>", null, 3, null, null).text("id"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("no field 'id'");
    }
}
