package io.pgresilience.faults;

/** A fault proxy that reads PostgreSQL's protocol and can lose the answer to a COMMIT ({@link CommitCut}). */
public interface CommitCutter {

    /** From now until it fires (or is disarmed), the cut watches this proxy's connections. */
    void arm(CommitCut cut);

    /** The cut no longer watches this proxy's connections (nothing held back is lost: it is passed on). */
    void disarm(CommitCut cut);
}
