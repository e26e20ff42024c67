package dev.idempotency.jdbc.outbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The relay's settings: defaults, the backoff formula, and bad values rejected when they are set. */
class OutboxRelayConfigTest {

    @Test
    void defaultsAreTheDocumentedConstants() {
        OutboxRelayConfig defaults = OutboxRelayConfig.ofDefaults();
        assertSame(defaults, OutboxRelayConfig.ofDefaults());
        assertEquals(100, defaults.batchSize());
        assertEquals(24, defaults.maxAttempts());
        assertEquals(Duration.ofSeconds(5), defaults.initialBackoff());
        assertEquals(Duration.ofHours(6), defaults.maxBackoff());
        assertTrue(defaults.orderedPerKey());
        assertEquals(Duration.ofSeconds(60), defaults.leaseDuration());
        assertEquals(8, defaults.publishConcurrency());
        assertEquals(Duration.ofMillis(500), defaults.pollInterval());
        assertEquals(Duration.ZERO, defaults.deliveredRetention());
    }

    @Test
    void backoffDoublesFromTheInitialDelayUpToTheMaximum() {
        OutboxRelayConfig config = OutboxRelayConfig.custom().initialBackoff(Duration.ofSeconds(5))
                .maxBackoff(Duration.ofMinutes(1)).build();
        List<Duration> delays = new ArrayList<>();
        for (int attempt = 1; attempt <= 6; attempt++) {
            delays.add(config.backoff(attempt));
        }
        assertEquals(List.of(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(20),
                Duration.ofSeconds(40), Duration.ofMinutes(1), Duration.ofMinutes(1)), delays);
        assertEquals(Duration.ofMinutes(1), config.backoff(1000), "no overflow however many attempts");
        assertThrows(IllegalArgumentException.class, () -> config.backoff(0));
    }

    @Test
    void theDefaultScheduleRetriesForOneAndAHalfToThreeDays() {
        OutboxRelayConfig defaults = OutboxRelayConfig.ofDefaults();
        Duration longest = Duration.ZERO;
        for (int failed = 1; failed < defaults.maxAttempts(); failed++) {
            longest = longest.plus(defaults.backoff(failed));
        }
        Duration shortest = longest.dividedBy(2);
        assertTrue(shortest.compareTo(Duration.ofHours(35)) > 0, "with the least jitter: " + shortest);
        assertTrue(longest.compareTo(Duration.ofHours(72)) < 0, "with no jitter: " + longest);
    }

    @Test
    void badValuesAreRejectedNamingTheSettingAndTheValue() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> OutboxRelayConfig.custom().batchSize(0));
        assertEquals("Invalid value '0' for batchSize: expected a number from 1 to 10000", e.getMessage());
        assertThrows(IdempotencyConfigException.class, () -> OutboxRelayConfig.custom().maxAttempts(0));
        assertThrows(IdempotencyConfigException.class, () -> OutboxRelayConfig.custom().initialBackoff(Duration.ZERO));
        assertThrows(IdempotencyConfigException.class, () -> OutboxRelayConfig.custom().maxBackoff(Duration.ofDays(31)));
        assertThrows(IdempotencyConfigException.class, () -> OutboxRelayConfig.custom().leaseDuration(Duration.ofMillis(999)));
        assertThrows(IdempotencyConfigException.class, () -> OutboxRelayConfig.custom().publishConcurrency(257));
        assertThrows(IdempotencyConfigException.class, () -> OutboxRelayConfig.custom().pollInterval(null));
        assertThrows(IdempotencyConfigException.class,
                () -> OutboxRelayConfig.custom().deliveredRetention(Duration.ofSeconds(-1)));
        IdempotencyConfigException inconsistent = assertThrows(IdempotencyConfigException.class,
                () -> OutboxRelayConfig.custom().initialBackoff(Duration.ofMinutes(10)).maxBackoff(Duration.ofMinutes(1))
                        .build());
        assertEquals("maxBackoff", inconsistent.setting());
    }

    @Test
    void fromCopiesEverySetting() {
        OutboxRelayConfig base = OutboxRelayConfig.custom().batchSize(7).maxAttempts(3).initialBackoff(Duration.ofSeconds(2))
                .maxBackoff(Duration.ofMinutes(3)).orderedPerKey(false).leaseDuration(Duration.ofSeconds(9))
                .publishConcurrency(2).pollInterval(Duration.ofMillis(50)).deliveredRetention(Duration.ofDays(1)).build();
        OutboxRelayConfig copy = OutboxRelayConfig.from(base).build();
        assertEquals(base.toString(), copy.toString());
        assertFalse(copy.orderedPerKey());
    }
}
