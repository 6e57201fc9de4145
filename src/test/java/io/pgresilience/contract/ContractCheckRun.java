package io.pgresilience.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgresilience.config.Settings;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code mvn test -Pcontract}: the gateway of {@code -Dtarget=...} (reference by default, command, contextforge)
 * checked against the static contract; writes reports/contract-check.md and fails when a clause is not held.
 */
class ContractCheckRun {

    static final Path REPORT = Path.of("reports", "contract-check.md");

    @Test
    void theGatewayMeetsTheContract() throws Exception {
        ContractCheck.Result result = ContractCheck.run(Settings.load(), REPORT);
        io.pgresilience.report.IndexPage.refresh(); // the site's front page links the report (where a site was built)
        System.err.println("pg-resilience contract: " + result.clauses().size() + " clauses in " + result.millis() + " ms; "
                + result.notHeld().size() + " not held; " + REPORT);
        assertThat(result.notHeld()).as(ContractCheck.failure(result)).isEmpty();
    }
}
