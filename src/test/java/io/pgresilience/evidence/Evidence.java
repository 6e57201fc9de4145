package io.pgresilience.evidence;

import java.util.Set;
import java.util.TreeSet;
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
    private Judge.Judgement judgement;
    private boolean outage;
    private final Set<String> allowedInFault = new TreeSet<>();
    private String lossAllowed;

    public History history() {
        return history;
    }

    /** A name unique to this scenario in this run (a prefix, so that names sharing a base share a prefix too). */
    public String key(String base) {
        return scenarioKey + "-" + base;
    }

    public void fault(String description) {
        history.mark(History.FAULT, description);
    }

    /** A fault that makes the database unusable until it heals: detection is held to its SLO, readiness must stay 503. */
    public void outage(String description) {
        outage = true;
        fault(description);
    }

    public boolean isOutage() {
        return outage;
    }

    /** An answer the scenario expects in its fault window besides success and a database 503/504, as "409 deadlock_detected". */
    public void allowInFault(int status, String errorCode) {
        allowedInFault.add(status + " " + errorCode);
    }

    public Set<String> allowedInFault() {
        return Set.copyOf(allowedInFault);
    }

    /** Acknowledged writes may be lost, and why (asynchronous replication across a failover); they are reported as RPO. */
    public void allowLoss(String why) {
        lossAllowed = why;
    }

    public String lossAllowed() {
        return lossAllowed;
    }

    public void judgement(Judge.Judgement j) {
        this.judgement = j;
    }

    public Judge.Judgement judgement() {
        return judgement;
    }

    /** A heal that takes time begins (see {@link History#HEALING}); {@link #heal} marks its end. */
    public void healing(String description) {
        history.mark(History.HEALING, description);
    }

    /** A heal that began at an earlier moment, known only now (see {@link History#markAt}). */
    public void healingSince(long atMs, String description) {
        history.markAt(History.HEALING, description, atMs);
    }

    public void heal(String description) {
        history.mark(History.HEAL, description);
    }

    public void event(String name, String description) {
        history.mark(name, description);
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
