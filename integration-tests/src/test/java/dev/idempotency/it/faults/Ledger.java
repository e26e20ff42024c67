package dev.idempotency.it.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a fault test tried and what it found, printed to the test output ({@code System.out}) as one line
 * starting with {@code LEDGER}: logical actions attempted (each one idempotency key), effects observed per
 * action (rows in the business table, charges downstream), and from them the two numbers that must be
 * zero: <em>lost</em> (actions without an effect) and <em>duplicated</em> (effects beyond the first, summed
 * over actions). Effects that belong to no action count as duplicated too. Thread-safe.
 */
final class Ledger {

    private final String title;
    private final Map<String, Integer> effectsByAction = new LinkedHashMap<>();
    private final Map<Integer, Integer> answers = new TreeMap<>();
    private final Map<String, Long> notes = new LinkedHashMap<>();
    private long unattributed;

    /** @param title names the fault, the database and the mode, as printed */
    Ledger(String title) {
        this.title = title;
    }

    /** An action attempted; its effects are counted once everything has settled. */
    synchronized void action(String id) {
        effectsByAction.putIfAbsent(id, 0);
    }

    synchronized boolean isAction(String id) {
        return effectsByAction.containsKey(id);
    }

    /** The effects observed for {@code id}. */
    synchronized void effects(String id, int effects) {
        if (!effectsByAction.containsKey(id)) {
            throw new IllegalArgumentException("effects of an action never attempted: " + id);
        }
        effectsByAction.put(id, effects);
    }

    /** Effects observed that belong to no action attempted. */
    synchronized void unattributed(long effects) {
        unattributed += effects;
    }

    /** One HTTP answer a client received (every attempt and copy, not only the final ones). */
    synchronized void answer(int status) {
        answers.merge(status, 1, Integer::sum);
    }

    /** Adds to a named count worth printing, such as requests cut off or replays. */
    synchronized void note(String name, long count) {
        notes.merge(name, count, Long::sum);
    }

    synchronized int actions() {
        return effectsByAction.size();
    }

    synchronized long effects() {
        return effectsByAction.values().stream().mapToLong(Integer::longValue).sum() + unattributed;
    }

    synchronized long lost() {
        return effectsByAction.values().stream().filter(n -> n == 0).count();
    }

    synchronized long duplicated() {
        return effectsByAction.values().stream().mapToLong(n -> Math.max(0, n - 1)).sum() + unattributed;
    }

    synchronized String summary() {
        StringBuilder line = new StringBuilder("LEDGER ").append(title).append(": actions=").append(actions())
                .append(" effects=").append(effects()).append(" lost=").append(lost()).append(" duplicated=")
                .append(duplicated()).append(" | answers ").append(answers);
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
