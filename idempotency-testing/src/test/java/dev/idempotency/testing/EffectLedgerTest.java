package dev.idempotency.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

class EffectLedgerTest {

    @Test
    void countsLostAndDuplicatedEffectsPerAction() {
        EffectLedger ledger = new EffectLedger("test");
        ledger.action("once");
        ledger.action("never");
        ledger.action("thrice");
        ledger.effects("once", 1);
        ledger.effects("thrice", 3);
        ledger.unattributed(2);

        assertEquals(3, ledger.actions());
        assertEquals(6, ledger.effects());
        assertEquals(1, ledger.lost());
        assertEquals(4, ledger.duplicated(), "two beyond the first of 'thrice', and two that belong to no action");
    }

    @Test
    void anActionRecordedTwiceIsOneAction() {
        EffectLedger ledger = new EffectLedger("test");
        ledger.action("a");
        ledger.effects("a", 1);
        ledger.action("a");

        assertEquals(1, ledger.actions());
        assertEquals(1, ledger.effects(), "recording the action again keeps its effects");
        assertTrue(ledger.isAction("a"));
        assertFalse(ledger.isAction("b"));
    }

    @Test
    void effectsOfAnActionNeverAttemptedAreRefused() {
        EffectLedger ledger = new EffectLedger("test");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ledger.effects("ghost", 1));
        assertTrue(e.getMessage().contains("ghost"), e.getMessage());
    }

    @Test
    void summaryIsOneLineWithTheCountsTheAnswersAndTheNotes() {
        EffectLedger ledger = new EffectLedger("storm | H2");
        ledger.action("a");
        ledger.effects("a", 1);
        ledger.answer(409);
        ledger.answer(201);
        ledger.answer(409);
        ledger.note("replays", 2);
        ledger.note("replays", 1);

        assertEquals("LEDGER storm | H2: actions=1 effects=1 lost=0 duplicated=0 | answers {201=1, 409=2} replays=3",
                ledger.summary());
    }

    @Test
    void exactlyOnceHoldsOnlyWhenNothingIsLostOrDuplicated() {
        EffectLedger exact = new EffectLedger("exact");
        exact.action("a");
        exact.effects("a", 1);
        assertEquals(exact.summary() + System.lineSeparator(), printed(exact::printAndAssertExactlyOnce));

        EffectLedger lost = new EffectLedger("lost");
        lost.action("a");
        AssertionFailedError lostFailure = assertThrows(AssertionFailedError.class,
                () -> printed(lost::printAndAssertExactlyOnce));
        assertTrue(lostFailure.getMessage().startsWith("lost actions: LEDGER lost"), lostFailure.getMessage());

        EffectLedger duplicated = new EffectLedger("duplicated");
        duplicated.action("a");
        duplicated.effects("a", 1);
        duplicated.unattributed(1);
        AssertionFailedError duplicatedFailure = assertThrows(AssertionFailedError.class,
                () -> printed(duplicated::printAndAssertExactlyOnce));
        assertTrue(duplicatedFailure.getMessage().startsWith("duplicated effects: LEDGER duplicated"),
                duplicatedFailure.getMessage());
    }

    /** What {@code call} prints to {@code System.out}, which it does not reach: only fault tests print ledgers. */
    private static String printed(Runnable call) {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            call.run();
        } finally {
            System.setOut(original);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
