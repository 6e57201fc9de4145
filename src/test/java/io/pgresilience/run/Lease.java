package io.pgresilience.run;

import org.picocontainer.Disposable;

/**
 * One scenario's hold on its worker's run (a PicoContainer world object): taken when the scenario's first world object
 * is made, given back when PicoContainer disposes of the scenario's objects, whatever happened.
 */
public final class Lease implements Disposable {

    private final Run run = Runs.lease();

    public Run run() {
        return run;
    }

    @Override
    public void dispose() {
        Runs.release(run);
    }
}
