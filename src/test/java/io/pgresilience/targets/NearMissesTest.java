package io.pgresilience.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every near miss differs from the valid credentials, and the JWT ones are well formed. */
class NearMissesTest {

    private static final String PLAIN = "AbCdEfGh2345JkLmNpQr6789StUvWxYz";

    private static String jwt(String key) {
        ObjectNode header = new ObjectMapper().createObjectNode().put("alg", "HS256").put("typ", "JWT");
        ObjectNode claims = new ObjectMapper().createObjectNode().put("sub", "admin@example.com")
                .put("exp", Instant.now().getEpochSecond() + 3600).put("iat", Instant.now().getEpochSecond());
        return new NearMisses.Jwt(header, claims).signedWith(key.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void everyNearMissOfAPlainTokenDiffersFromIt() {
        Map<String, NearMisses.NearMiss> all = NearMisses.all(PLAIN, Optional.empty());
        assertThat(all.keySet()).containsExactlyElementsOf(NearMisses.KNOWN);
        all.forEach((what, m) -> {
            if (m.applies()) {
                assertThat(m.authorization()).as(what).isNotEqualTo("Bearer " + PLAIN);
            }
        });
        assertThat(all.get("the token with its case changed").authorization()).isEqualToIgnoringCase("Bearer " + PLAIN);
        assertThat(all.get("the token after it expired").notApplicable()).contains("not a JWT");
        assertThat(all.get("another token of the same form").authorization()).hasSize(("Bearer " + PLAIN).length());
        assertThat(NearMisses.oneCharacterChanged(PLAIN)).hasSize(PLAIN.length()).isNotEqualTo(PLAIN);
    }

    @Test
    void aJwtIsSignedAnewOrExpiredWithTheGatewaysKey() throws Exception {
        String token = jwt("the-key");
        assertThat(NearMisses.Jwt.parse(token)).isPresent();
        String other = NearMisses.of("another token of the same form", token, Optional.empty()).authorization().substring(7);
        assertThat(other.split("\\.")[1]).isEqualTo(token.split("\\.")[1]); // the same claims
        assertThat(other.split("\\.")[2]).isNotEqualTo(token.split("\\.")[2]); // another key's signature
        assertThat(NearMisses.of("the token after it expired", token, Optional.empty()).notApplicable()).contains("key");
        String expired = NearMisses.of("the token after it expired", token, Optional.of("the-key")).authorization().substring(7);
        ObjectNode claims = (ObjectNode) new ObjectMapper().readTree(Base64.getUrlDecoder().decode(expired.split("\\.")[1]));
        assertThat(claims.get("exp").asLong()).isLessThan(Instant.now().getEpochSecond());
        // signed with the gateway's own key: re-signing the same claims gives the same token
        assertThat(NearMisses.Jwt.parse(expired).orElseThrow().signedWith("the-key".getBytes(StandardCharsets.UTF_8))).isEqualTo(expired);
    }

    @Test
    void anUnknownNearMissIsAMistake() {
        assertThatThrownBy(() -> NearMisses.of("the token reversed", PLAIN, Optional.empty()))
                .hasMessageContaining("unknown near miss 'the token reversed'");
    }
}
