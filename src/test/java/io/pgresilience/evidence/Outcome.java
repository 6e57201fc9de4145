package io.pgresilience.evidence;

/** Jepsen's three outcomes of an operation. */
public enum Outcome {
    /** The gateway acknowledged it. */
    OK,
    /** The gateway said it failed: a write reported so must not be applied. */
    FAIL,
    /** Nobody knows: no answer, a timeout, or a gateway that says the commit's outcome is unknown. */
    UNKNOWN;

    /** Classifies an HTTP exchange; status 0 means no response arrived. */
    public static Outcome of(int status, String errorCode) {
        if (status == 0 || "commit_outcome_unknown".equals(errorCode)) {
            return UNKNOWN;
        }
        return status >= 200 && status < 300 ? OK : FAIL;
    }
}
