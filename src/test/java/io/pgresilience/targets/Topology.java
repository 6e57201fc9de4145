package io.pgresilience.targets;

/** How the gateway is told where the database is. */
public enum Topology {
    /** Every node's proxy in one pgjdbc URL with targetServerType=primary: the gateway finds the primary itself. */
    MULTI_HOST("a multi-host URL"),
    /** One address (the "vip" proxy); on failover the proxy is re-pointed, as a VIP or HAProxy would be. */
    SINGLE_HOST("a single-host URL through a re-pointed proxy");

    private final String phrase;

    Topology(String phrase) {
        this.phrase = phrase;
    }

    public String phrase() {
        return phrase;
    }

    public static Topology fromPhrase(String phrase) {
        for (Topology t : values()) {
            if (t.phrase.equals(phrase)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown topology '" + phrase + "'");
    }
}
