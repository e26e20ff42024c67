package dev.idempotency.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class CapturedLogTest {

    private static final String NAME = "dev.idempotency.testing.CapturedLogTest.source";

    @Test
    void capturesWhatASystemLoggerLogsWithItsLevelFilledInMessageAndException() throws Exception {
        System.Logger logger = System.getLogger(NAME);
        IllegalStateException failure = new IllegalStateException("connection lost");
        try (CapturedLog log = CapturedLog.of(NAME)) {
            logger.log(Level.WARNING, "Could not record message {0} of consumer {1}", "msg_1", "billing");
            CompletableFuture.runAsync(() -> logger.log(Level.ERROR, "Commit failed", failure)).get();
            System.getLogger(NAME + ".child").log(Level.INFO, "from below");

            List<CapturedLog.Entry> entries = log.entries();
            assertEquals(3, entries.size(), log.toString());
            assertEquals(new CapturedLog.Entry(Level.WARNING, NAME, "Could not record message msg_1 of consumer billing",
                    null), entries.get(0));
            assertEquals(Level.ERROR, entries.get(1).level());
            assertSame(failure, entries.get(1).thrown(), "records from other threads are captured too");
            assertEquals(List.of(entries.get(0), entries.get(1)), log.entries(Level.WARNING), "WARNING and above");
            assertEquals(List.of(entries.get(1)), log.entries(Level.ERROR));
            assertTrue(log.toString().contains("ERROR [" + NAME + "] Commit failed (" + failure + ")"), log.toString());
        }
    }

    @Test
    void capturesNothingAfterItIsClosed() {
        CapturedLog log = CapturedLog.of(CapturedLogTest.class);
        log.close();
        System.getLogger(CapturedLogTest.class.getName()).log(Level.WARNING, "after close");
        assertEquals(List.of(), log.entries());
        assertTrue(log.toString().contains("nothing logged"), log.toString());
    }
}
