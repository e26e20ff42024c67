package dev.idempotency.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a fault test tried and what it found, printed to the test output: logical actions attempted (each
 * one idempotency key), effects observed per action, and from them the two numbers that must be zero:
 * <em>lost</em> (actions without an effect) and <em>duplicated</em> (effects beyond the first, summed over
 * actions). Thread-safe.
 */
final class Ledger {

    private final String title;
    private final Map<String, Integer> effectsByAction = new LinkedHashMap<>();
    private final Map<Integer, Integer> statuses = new TreeMap<>();
    private final Map<String, Long> notes = new LinkedHashMap<>();

    /** @param title names the test, the database and the mode, as printed */
    Ledger(String title) {
        this.title = title;
    }

    /** An action attempted; its effects are counted later, once everything settled. */
    synchronized void action(String id) {
        effectsByAction.putIfAbsent(id, 0);
    }

    /** The effects observed for {@code id} (rows in the business table, charges downstream). */
    synchronized void effects(String id, int effects) {
        if (!effectsByAction.containsKey(id)) {
            throw new IllegalArgumentException("effects of an action never attempted: " + id);
        }
        effectsByAction.put(id, effects);
    }

    /** One answer the clients received. */
    synchronized void status(int status) {
        statuses.merge(status, 1, Integer::sum);
    }

    /** A named count worth printing, such as requests cut off by the crash. */
    synchronized void note(String name, long count) {
        notes.merge(name, count, Long::sum);
    }

    synchronized int actions() {
        return effectsByAction.size();
    }

    synchronized long effects() {
        return effectsByAction.values().stream().mapToLong(Integer::longValue).sum();
    }

    synchronized long lost() {
        return effectsByAction.values().stream().filter(n -> n == 0).count();
    }

    synchronized long duplicated() {
        return effectsByAction.values().stream().mapToLong(n -> Math.max(0, n - 1)).sum();
    }

    synchronized String summary() {
        StringBuilder line = new StringBuilder("LEDGER ").append(title).append(": actions=").append(actions())
                .append(" effects=").append(effects()).append(" lost=").append(lost()).append(" duplicated=")
                .append(duplicated()).append(" | answers ").append(statuses);
        notes.forEach((name, count) -> line.append(' ').append(name).append('=').append(count));
        return line.toString();
    }

    /** Prints the ledger, then fails unless every action took effect exactly once. */
    void printAndAssertExactlyOnce() {
        String summary = summary();
        System.out.println(summary);
        assertEquals(0, lost(), "lost actions: " + summary);
        assertEquals(0, duplicated(), "duplicated effects: " + summary);
        assertEquals(actions(), effects(), summary);
    }
}
