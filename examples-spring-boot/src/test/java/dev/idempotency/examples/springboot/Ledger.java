package dev.idempotency.examples.springboot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The accounts of a fault test: the logical actions it attempted (each one idempotency key), the effects it found
 * for each once everything settled, and the answers its clients received. From them come the numbers an
 * exactly-once system keeps at zero: <em>lost</em> (actions without an effect), <em>duplicated</em> (effects
 * beyond the first of each action, plus effects that belong to no action) and <em>wrong answers</em> (answers that
 * do not describe the effect that exists, or that the protocol never gives to a duplicate). Printed as one line
 * starting with {@code LEDGER}, as the project's other fault tests print theirs. Thread-safe.
 */
final class Ledger {

    private final String title;
    private final Map<String, Integer> effectsByAction = new LinkedHashMap<>();
    private final Map<Integer, Integer> answers = new TreeMap<>();
    private final Map<String, Long> notes = new LinkedHashMap<>();
    private long unattributed;
    private long wrongAnswers;

    /** @param title names the fault, the database and the mode, as printed */
    Ledger(String title) {
        this.title = title;
    }

    /** An action attempted; its effects are counted once everything settled. */
    synchronized void action(String id) {
        effectsByAction.putIfAbsent(id, 0);
    }

    /** The effects found for action {@code id}. */
    synchronized void effects(String id, int effects) {
        if (!effectsByAction.containsKey(id)) {
            throw new IllegalArgumentException("effects of an action never attempted: " + id);
        }
        effectsByAction.put(id, effects);
    }

    /** Effects found that belong to no action attempted; each counts as duplicated. */
    synchronized void unattributed(long effects) {
        unattributed += effects;
    }

    /** One HTTP answer a client received (every attempt and copy, not only the final ones). */
    synchronized void answer(int status) {
        answers.merge(status, 1, Integer::sum);
    }

    /** An answer that does not describe the action's effect, or that a duplicate must never get. */
    synchronized void wrongAnswer() {
        wrongAnswers++;
    }

    /** A named count worth printing, such as requests cut off by the fault. */
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

    synchronized long wrongAnswers() {
        return wrongAnswers;
    }

    synchronized String summary() {
        StringBuilder line = new StringBuilder("LEDGER ").append(title).append(": actions=").append(actions())
                .append(" effects=").append(effects()).append(" lost=").append(lost()).append(" duplicated=")
                .append(duplicated()).append(" wrong-answers=").append(wrongAnswers).append(" | answers ")
                .append(answers);
        notes.forEach((name, count) -> line.append(' ').append(name).append('=').append(count));
        return line.toString();
    }

    /** Prints the ledger, then fails unless every action took effect exactly once and every answer was right. */
    void printAndAssertExactlyOnce() {
        String summary = summary();
        System.out.println(summary);
        assertEquals(0, lost(), "lost actions: " + summary);
        assertEquals(0, duplicated(), "duplicated effects: " + summary);
        assertEquals(0, wrongAnswers(), "wrong answers: " + summary);
        assertEquals(actions(), effects(), summary);
    }
}
