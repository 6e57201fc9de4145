package io.pgresilience.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgresilience.config.Settings;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contract check can fail: the reference gateway with two defects switched on — a database fault answered 503 with
 * an error that does not name the database (anonymous-503), and no statement timeout although its profile declares one
 * (no-statement-timeout) — must get exactly the clauses they break "not held" (the anonymous 503 breaks the pool
 * timeout's clause too), each with its fix in one line. Runs in
 * {@code -Pcontract} with the reference target.
 */
class ContractCheckProof {

    @Test
    void aBrokenClauseIsNotHeldWithItsFix() throws Exception {
        assumeTrue(Settings.load().text("target").equals("reference"),
                "the proof breaks the reference gateway: it runs with -Dtarget=reference");
        ContractCheck.Result r = ContractCheck.run(Settings.of(Map.of("target", "reference",
                "gateway.defects", "anonymous-503,no-statement-timeout")), Path.of("target", "contract-check-proof.md"));
        System.err.println("pg-resilience contract proof:\n" + ContractCheck.failure(r));

        ContractCheck.Clause names = r.clause("database-stopped-names-database");
        assertThat(names.status()).isEqualTo(ContractCheck.Status.NOT_HELD);
        assertThat(names.seen()).startsWith("your 503 body must name the database")
                .contains("matched against " + io.pgresilience.evidence.Judge.NAMES_THE_DATABASE.pattern(), "service_unavailable")
                .doesNotContain("\n");

        ContractCheck.Clause timeout = r.clause("statement-timeout");
        assertThat(timeout.status()).isEqualTo(ContractCheck.Status.NOT_HELD);
        assertThat(timeout.seen()).contains("is not in force").doesNotContain("\n");

        assertThat(r.notHeld()).extracting(ContractCheck.Clause::id)
                .containsExactlyInAnyOrder("database-stopped-names-database", "pool-timeout", "statement-timeout");
        assertThat(r.clause("pool-timeout").seen()).startsWith("a request that finds every pooled connection busy must answer 503 "
                + "naming the database");
    }
}
