package io.pgresilience.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.qameta.allure.listener.TestLifecycleListener;
import io.qameta.allure.model.Parameter;
import io.qameta.allure.model.TestResult;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** In a run of several topologies each Allure test case names its topology; nowhere else does it get one. */
class TopologyParameterTest {

    @Test
    void aRunOfSeveralTopologiesNamesTheTopologyOnce() {
        // a list that cannot grow, as Allure's cucumber plugin gives it
        TestResult r = new TestResult().setParameters(List.of(
                new Parameter().setName("topology").setValue("a multi-host URL")));
        TopologyParameter.mark(r, "direct,pgbouncer,patroni", "pgbouncer");
        TopologyParameter.mark(r, "direct,pgbouncer,patroni", "pgbouncer");
        assertThat(r.getParameters()).extracting(Parameter::getName, Parameter::getValue).containsExactly(
                tuple("topology", "a multi-host URL"),
                tuple(TopologyParameter.NAME, "pgbouncer"));
    }

    @Test
    void aRunOfOneTopologyAddsNothing() {
        TestResult r = new TestResult();
        TopologyParameter.mark(r, "", "direct");
        assertThat(r.getParameters()).isEmpty();
    }

    @Test
    void allureFindsIt() {
        assertThat(ServiceLoader.load(TestLifecycleListener.class).stream().map(ServiceLoader.Provider::type))
                .contains(TopologyParameter.class);
    }
}
