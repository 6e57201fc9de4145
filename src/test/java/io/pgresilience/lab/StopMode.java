package io.pgresilience.lab;

/** pg_ctl's shutdown modes: fast rolls back and disconnects cleanly; immediate is a crash. */
public enum StopMode {
    FAST("fast"),
    IMMEDIATE("immediate");

    private final String pgCtl;

    StopMode(String pgCtl) {
        this.pgCtl = pgCtl;
    }

    public String pgCtl() {
        return pgCtl;
    }
}
