package io.pgresilience;

import static io.cucumber.junit.platform.engine.Constants.GLUE_PROPERTY_NAME;

import org.junit.platform.suite.api.ConfigurationParameter;
import org.junit.platform.suite.api.IncludeEngines;
import org.junit.platform.suite.api.SelectDirectories;
import org.junit.platform.suite.api.Suite;

/**
 * The acceptance suite: every feature under {@code features/}, on the JUnit Platform. Tags, plugins and other
 * Cucumber options come from {@code junit-platform.properties} and can be overridden with -D, e.g.
 * {@code mvn test -Dcucumber.filter.tags=@failover}.
 */
@Suite
@IncludeEngines("cucumber")
@SelectDirectories("features")
@ConfigurationParameter(key = GLUE_PROPERTY_NAME, value = "io.pgresilience.steps")
public class RunCucumberTest {
}
