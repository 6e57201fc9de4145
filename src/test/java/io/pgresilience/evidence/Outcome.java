package io.pgresilience.evidence;

/** Jepsen's three outcomes of an operation. */
public enum Outcome {
    /** The gateway acknowledged it. */
    OK,
    /** The gateway said it failed, or the request never reached it: such a write must not be applied. */
    FAIL,
    /** Nobody knows: no answer, a timeout, or a gateway that says the commit's outcome is unknown. A refused
     *  connection is not unknown: the request never left, so it failed. */
    UNKNOWN;

    /** The error code by which a gateway says that a commit's outcome is unknown, unless its profile declares another. */
    public static final String UNKNOWN_CODE = "commit_outcome_unknown";

    /** Classifies an HTTP exchange; status 0 means no response arrived, and the error says why. */
    public static Outcome of(int status, String errorCode) {
        return of(status, errorCode, UNKNOWN_CODE);
    }

    /** As {@link #of(int, String)}, for a gateway that says "outcome unknown" with its own error code. */
    public static Outcome of(int status, String errorCode, String unknownCode) {
        if (status == 0 && errorCode != null && errorCode.matches("(Http(Host)?)?ConnectException: .*refused.*")) {
            return FAIL;
        }
        if (status == 0 || unknownCode.equals(errorCode)) {
            return UNKNOWN;
        }
        return status >= 200 && status < 300 ? OK : FAIL;
    }
}
