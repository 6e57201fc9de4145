package io.pgresilience.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgresilience.contract.ContractDocument;
import io.pgresilience.evidence.Judge;
import org.junit.jupiter.api.Test;

class ContractPageTest {

    @Test
    void theContractIsAPageWithItsTables() throws Exception {
        String html = ContractPage.html(ContractDocument.read());
        assertThat(html).contains("<h1>The gateway contract</h1>", "<table>",
                "<code>" + Judge.NAMES_THE_DATABASE.pattern().replace("<", "&lt;") + "</code>");
    }
}
