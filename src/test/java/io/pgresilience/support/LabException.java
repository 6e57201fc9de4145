package io.pgresilience.support;

/** The lab cannot do what was asked; the message is one line a user can act on. */
public class LabException extends RuntimeException {
    public LabException(String message) {
        super(message);
    }

    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
