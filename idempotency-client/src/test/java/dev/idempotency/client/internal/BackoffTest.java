package dev.idempotency.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void ceilingsDoubleUpToTheMaximum() {
        Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(1), () -> 0.5);
        assertEquals(Duration.ofMillis(200), backoff.ceiling(1));
        assertEquals(Duration.ofMillis(400), backoff.ceiling(2));
        assertEquals(Duration.ofMillis(800), backoff.ceiling(3));
        assertEquals(Duration.ofSeconds(1), backoff.ceiling(4));
        assertEquals(Duration.ofSeconds(1), backoff.ceiling(1000), "no overflow however many attempts");
        assertThrows(IllegalArgumentException.class, () -> backoff.ceiling(0));
    }

    @Test
    void pausesAreSpreadOverTheWholeRangeFromZeroToTheCeiling() {
        Random random = new Random(42);
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), random::nextDouble);
        long below10 = 0;
        long above90 = 0;
        for (int i = 0; i < 10_000; i++) {
            long millis = backoff.pause(1).toMillis();
            assertTrue(millis >= 0 && millis <= 100, "pause " + millis);
            below10 += millis < 10 ? 1 : 0;
            above90 += millis >= 90 ? 1 : 0;
        }
        // Full jitter: about a tenth of the draws in each tenth of the range (1000 expected; a generous band).
        assertTrue(below10 > 800 && below10 < 1200, "below 10 ms: " + below10);
        assertTrue(above90 > 800 && above90 < 1200, "90 ms or more: " + above90);
    }
}
