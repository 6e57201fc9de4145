package io.pgresilience.evidence;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The scenario's evidence (a PicoContainer world object): its history of operations and fault events, the
 * figures the steps noted, and the verdict on its writes. Rendered into the report after the scenario.
 */
public final class Evidence {

    private static final AtomicInteger SCENARIOS = new AtomicInteger();

    private final History history = new History();
    private final String scenarioKey = "s" + SCENARIOS.incrementAndGet();
    private final Map<String, String> notes = new LinkedHashMap<>();
    private Verdict verdict;

    public History history() {
        return history;
    }

    /** A name unique to this scenario in this run (a prefix, so that names sharing a base share a prefix too). */
    public String key(String base) {
        return scenarioKey + "-" + base;
    }

    public String scenarioKey() {
        return scenarioKey;
    }

    public void fault(String description) {
        history.mark(History.FAULT, description);
    }

    public void heal(String description) {
        history.mark(History.HEAL, description);
    }

    public void event(String name, String description) {
        history.mark(name, description);
    }

    public boolean hasFault() {
        return history.first(History.FAULT).isPresent();
    }

    public void note(String figure, String value) {
        notes.put(figure, value);
    }

    public Map<String, String> notes() {
        return notes;
    }

    public void verdict(Verdict v) {
        this.verdict = v;
    }

    public Verdict verdict() {
        return verdict;
    }
}
