package dev.idempotency.webhooks.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** Fuzzes the publisher's reading of a receiver's {@code Retry-After}: a delay or none, never an exception. */
class RetryAfterFuzzTest {

    @FuzzTest
    void parseGivesADelayThatIsNeverNegativeOrNone(byte[] data) {
        Optional<Duration> delay = RetryAfter.parse(new String(data, StandardCharsets.ISO_8859_1),
                Instant.ofEpochSecond(1_700_000_000L));
        assertNotNull(delay);
        delay.ifPresent(d -> assertFalse(d.isNegative(), d::toString));
    }
}
