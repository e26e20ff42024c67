package dev.idempotency.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        RetryPolicy policy = RetryPolicy.ofDefaults();
        assertEquals(RetryPolicy.DEFAULT_MAX_ATTEMPTS, policy.maxAttempts());
        assertEquals(RetryPolicy.DEFAULT_DEADLINE, policy.deadline());
        assertEquals(RetryPolicy.DEFAULT_INITIAL_BACKOFF, policy.initialBackoff());
        assertEquals(RetryPolicy.DEFAULT_MAX_BACKOFF, policy.maxBackoff());
        assertEquals(RetryPolicy.DEFAULT_RETRYABLE_STATUSES, policy.retryableStatuses());
        assertEquals(policy.toString(), RetryPolicy.from(policy).build().toString());
    }

    @Test
    void badValuesAreRefusedNamingTheSettingAndTheValue() {
        assertMessage("maxAttempts was 0", () -> RetryPolicy.custom().maxAttempts(0));
        assertMessage("deadline was PT0S", () -> RetryPolicy.custom().deadline(Duration.ZERO));
        assertMessage("deadline was null", () -> RetryPolicy.custom().deadline(null));
        assertMessage("initialBackoff was PT2S; expected no more than maxBackoff (PT1S)",
                () -> RetryPolicy.custom().backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertMessage("retryableStatuses was 422", () -> RetryPolicy.custom().retryableStatuses(Set.of(503, 422)));
        assertMessage("retryableStatuses was 200", () -> RetryPolicy.custom().retryableStatuses(Set.of(200)));
    }

    @Test
    void fiveHundredCanBeMadeRetryable() {
        assertTrue(RetryPolicy.custom().retryableStatuses(Set.of(500, 503)).build().retryableStatuses().contains(500));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable setter) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, setter);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
