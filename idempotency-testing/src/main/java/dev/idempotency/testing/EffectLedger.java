package dev.idempotency.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The accounts of a fault test: the logical actions it attempted (each one idempotency key), the effects it
 * found for each once everything settled (rows in a business table, charges at a downstream service), and
 * the answers its clients received. From them come the two numbers an exactly-once system keeps at zero:
 * <em>lost</em>, actions without an effect, and <em>duplicated</em>, effects beyond the first of each action,
 * plus effects that belong to no action attempted.
 *
 * <pre>{@code
 * EffectLedger ledger = new EffectLedger("connection cut mid-request | PostgreSQL | transaction mode");
 * ledger.action(key);                    // before the first attempt
 * ledger.answer(response.statusCode());  // every answer, retries and copies included
 * ...                                    // the fault, the retries, until every action is answered
 * ledger.effects(key, rowsFor(key));     // once everything has settled
 * ledger.printAndAssertExactlyOnce();
 * }</pre>
 *
 * <p>{@link #printAndAssertExactlyOnce()} prints the accounts to {@code System.out} as one line starting with
 * {@code LEDGER}, so a build log shows what each fault test did, and then fails unless every action took
 * effect exactly once. Thread-safe: clients may record from their own threads.
 */
public final class EffectLedger {

    private final String title;
    private final Map<String, Integer> effectsByAction = new LinkedHashMap<>();
    private final Map<Integer, Integer> answers = new TreeMap<>();
    private final Map<String, Long> notes = new LinkedHashMap<>();
    private long unattributed;

    /** @param title names the fault, the database and the mode, as printed */
    public EffectLedger(String title) {
        this.title = Objects.requireNonNull(title, "title");
    }

    /** Records an action attempted, with no effect until {@link #effects(String, int)} says otherwise. */
    public synchronized void action(String id) {
        effectsByAction.putIfAbsent(Objects.requireNonNull(id, "id"), 0);
    }

    /** Whether {@code id} was recorded as an action. */
    public synchronized boolean isAction(String id) {
        return effectsByAction.containsKey(id);
    }

    /**
     * Records the effects observed for action {@code id}, replacing what was recorded for it before.
     *
     * @throws IllegalArgumentException if {@code id} was never recorded as an action
     */
    public synchronized void effects(String id, int effects) {
        if (!effectsByAction.containsKey(id)) {
            throw new IllegalArgumentException("effects of an action never attempted: " + id);
        }
        effectsByAction.put(id, effects);
    }

    /** Adds effects observed that belong to no action attempted; each counts as duplicated. */
    public synchronized void unattributed(long effects) {
        unattributed += effects;
    }

    /** Records one HTTP answer a client received (every attempt and copy, not only the final ones). */
    public synchronized void answer(int status) {
        answers.merge(status, 1, Integer::sum);
    }

    /** Adds to a named count worth printing, such as requests cut off by the fault, or replays. */
    public synchronized void note(String name, long count) {
        notes.merge(Objects.requireNonNull(name, "name"), count, Long::sum);
    }

    /** The actions attempted. */
    public synchronized int actions() {
        return effectsByAction.size();
    }

    /** Every effect observed, unattributed ones included. */
    public synchronized long effects() {
        return effectsByAction.values().stream().mapToLong(Integer::longValue).sum() + unattributed;
    }

    /** The actions without an effect. */
    public synchronized long lost() {
        return effectsByAction.values().stream().filter(n -> n == 0).count();
    }

    /** The effects beyond the first of each action, plus the unattributed ones. */
    public synchronized long duplicated() {
        return effectsByAction.values().stream().mapToLong(n -> Math.max(0, n - 1)).sum() + unattributed;
    }

    /**
     * The accounts in one line: the title, the counts, the answers by status and the notes, such as
     * {@code LEDGER storm | H2: actions=40 effects=40 lost=0 duplicated=0 | answers {201=40, 409=1240}}.
     */
    public synchronized String summary() {
        StringBuilder line = new StringBuilder("LEDGER ").append(title).append(": actions=").append(actions())
                .append(" effects=").append(effects()).append(" lost=").append(lost()).append(" duplicated=")
                .append(duplicated()).append(" | answers ").append(answers);
        notes.forEach((name, count) -> line.append(' ').append(name).append('=').append(count));
        return line.toString();
    }

    /**
     * Prints {@link #summary()} to {@code System.out}, then fails unless every action took effect exactly once:
     * none lost, none duplicated.
     */
    public void printAndAssertExactlyOnce() {
        String summary = summary();
        System.out.println(summary);
        assertEquals(0, lost(), "lost actions: " + summary);
        assertEquals(0, duplicated(), "duplicated effects: " + summary);
        assertEquals(actions(), effects(), summary);
    }
}
