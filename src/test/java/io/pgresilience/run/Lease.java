package io.pgresilience.run;

import org.picocontainer.Disposable;

/**
 * One scenario's hold on its worker's run (a PicoContainer world object): taken when a world object first asks for
 * the run, given back when PicoContainer disposes of the scenario's objects, whatever happened.
 *
 * <p>PicoContainer makes a {@link Disposable} object before Cucumber starts the scenario. The run is therefore taken
 * on first use, inside the scenario: a lab that fails to start fails the scenario that needed it, in the report and
 * with the reason, instead of failing it where no report sees it.
 */
public final class Lease implements Disposable {

    private Run run;

    public synchronized Run run() {
        if (run == null) {
            run = Runs.lease();
        }
        return run;
    }

    @Override
    public synchronized void dispose() {
        if (run != null) {
            Runs.release(run);
            run = null;
        }
    }
}
