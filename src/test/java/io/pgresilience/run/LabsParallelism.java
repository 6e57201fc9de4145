package io.pgresilience.run;

import io.pgresilience.config.Settings;
import java.util.function.Predicate;
import java.util.concurrent.ForkJoinPool;
import org.junit.platform.engine.ConfigurationParameters;
import org.junit.platform.engine.support.hierarchical.ParallelExecutionConfiguration;
import org.junit.platform.engine.support.hierarchical.ParallelExecutionConfigurationStrategy;

/**
 * Cucumber runs as many scenarios at once as there are labs ({@code -Dlabs=N}), never more: a worker thread per lab,
 * and no extra threads when one blocks.
 */
public final class LabsParallelism implements ParallelExecutionConfigurationStrategy {

    @Override
    public ParallelExecutionConfiguration createConfiguration(ConfigurationParameters parameters) {
        int labs = Runs.labs(Settings.load());
        return new ParallelExecutionConfiguration() {
            @Override
            public int getParallelism() {
                return labs;
            }

            @Override
            public int getMinimumRunnable() {
                return 0;
            }

            @Override
            public int getMaxPoolSize() {
                return labs;
            }

            @Override
            public int getCorePoolSize() {
                return labs;
            }

            @Override
            public int getKeepAliveSeconds() {
                return 30;
            }

            @Override
            public Predicate<? super ForkJoinPool> getSaturatePredicate() {
                return pool -> true;
            }
        };
    }
}
