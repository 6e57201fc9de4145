package io.pgresilience.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.qameta.allure.listener.TestLifecycleListener;
import io.qameta.allure.model.Parameter;
import io.qameta.allure.model.TestResult;
import java.util.ArrayList;
import java.util.List;

/**
 * In a run of several topologies ({@code -Dtopology=all}), every Allure test case says which topology it ran in, so
 * that the site keeps the same scenario once per topology instead of folding them into retries of one. Set as each
 * result is written: Allure's cucumber plugin runs hooks as fixtures, so a hook cannot reach the test case itself.
 * Loaded by Allure through META-INF/services.
 */
public final class TopologyParameter implements TestLifecycleListener {

    /** Not "topology": a scenario outline has an Examples column of that name (a multi-host URL, a re-pointed proxy). */
    public static final String NAME = "lab topology";

    @Override
    public void beforeTestWrite(TestResult result) {
        mark(result, System.getProperty("topologies", ""), System.getProperty("topology", ""));
    }

    /** Adds the topology when the run is one of several ({@code topologies} names them), once. */
    static void mark(TestResult result, String topologies, String topology) {
        if (!topologies.isBlank() && !topology.isBlank()
                && result.getParameters().stream().noneMatch(p -> NAME.equals(p.getName()))) {
            // a fresh list: the cucumber plugin may have given the result one that cannot grow
            List<Parameter> parameters = new ArrayList<>(result.getParameters());
            parameters.add(new Parameter().setName(NAME).setValue(topology.trim()));
            result.setParameters(parameters);
        }
    }

    /** The topology a written Allure result (its JSON) names, or null when it names none. */
    public static String of(JsonNode result) {
        String topology = null;
        for (JsonNode p : result.path("parameters")) {
            if (NAME.equals(p.path("name").asText())) {
                topology = p.path("value").asText();
            }
        }
        return topology;
    }
}
