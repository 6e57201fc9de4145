package io.pgresilience.faults;

/** Toxiproxy's "stream": upstream is client → database, downstream is database → client. */
public enum Direction {
    UPSTREAM("upstream"),
    DOWNSTREAM("downstream");

    private final String toxiproxyName;

    Direction(String toxiproxyName) {
        this.toxiproxyName = toxiproxyName;
    }

    public String toxiproxyName() {
        return toxiproxyName;
    }
}
