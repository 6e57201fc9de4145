package io.pgresilience.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgresilience.evidence.Judge;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/**
 * CONTRACT.md says what the code enforces: its generated tables equal what {@link ContractTables} makes from the judge,
 * the client, the profile and the capabilities. With {@code -Dcontract.write=true} it rewrites them instead.
 */
class ContractDocumentTest {

    @Test
    void theContractSaysWhatTheCodeEnforces() throws Exception {
        String doc = ContractDocument.read();
        String expected = ContractDocument.regenerate(doc);
        if (Boolean.getBoolean("contract.write")) {
            Files.writeString(ContractDocument.FILE, expected, StandardCharsets.UTF_8);
            return;
        }
        assertThat(doc).as("CONTRACT.md differs from the code in its section(s) " + ContractDocument.drifted(doc)
                + "; regenerate it with: " + ContractDocument.REGENERATE).isEqualTo(expected);
    }

    @Test
    void aPatternEditedInTheDocumentIsCaught() throws Exception {
        String doc = ContractDocument.regenerate(ContractDocument.read());
        String pattern = Judge.NAMES_THE_DATABASE.pattern().replace("|", "\\|"); // as a table cell holds it
        assertThat(doc).contains(pattern);
        String edited = doc.replace(pattern, pattern.replace("database\\|", ""));
        assertThat(ContractDocument.drifted(edited)).containsExactly("patterns");
    }

    @Test
    void everyCapabilityAndProfileKeyIsDocumented() {
        assertThat(ContractTables.TURNS_ON.keySet()).containsExactlyInAnyOrder(io.pgresilience.targets.Capability.values());
        assertThat(ContractTables.KEY_MEANS.keySet()).containsAll(io.pgresilience.targets.GatewayProfile.KEYS.keySet());
    }
}
