package dev.idempotency.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpHeaders;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetryHintsTest {

    private static final Clock NOW = Clock.fixed(Instant.parse("2026-12-06T10:00:00Z"), ZoneOffset.UTC);

    private static HttpHeaders headers(String... namesAndValues) {
        java.util.Map<String, List<String>> map = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; i < namesAndValues.length; i += 2) {
            map.put(namesAndValues[i], List.of(namesAndValues[i + 1]));
        }
        return HttpHeaders.of(map, (n, v) -> true);
    }

    @Test
    void retryAfterSecondsMillisAndDates() {
        assertEquals(Optional.of(Duration.ofSeconds(7)), RetryHints.retryAfter(headers("Retry-After", "7"), NOW));
        assertEquals(Optional.of(Duration.ofMillis(1500)),
                RetryHints.retryAfter(headers("retry-after-ms", "1500.0", "Retry-After", "9"), NOW));
        assertEquals(Optional.of(Duration.ofSeconds(30)),
                RetryHints.retryAfter(headers("Retry-After", "Sun, 06 Dec 2026 10:00:30 GMT"), NOW));
        assertEquals(Optional.of(Duration.ofSeconds(2)), RetryHints.retryAfter(headers("Date",
                "Sun, 06 Dec 2026 11:00:00 GMT", "Retry-After", "Sun, 06 Dec 2026 11:00:02 GMT"), NOW),
                "counted from the answer's own Date");
        assertEquals(Optional.of(Duration.ZERO),
                RetryHints.retryAfter(headers("Retry-After", "Sun, 06 Dec 2026 09:00:00 GMT"), NOW), "in the past");
        assertEquals(Optional.of(Duration.ofDays(1)), RetryHints.retryAfter(headers("Retry-After", "99999999999"), NOW));
    }

    @Test
    void hintsThatDoNotParseAreNoHints() {
        assertEquals(Optional.empty(), RetryHints.retryAfter(headers(), NOW));
        assertEquals(Optional.empty(), RetryHints.retryAfter(headers("Retry-After", "soon"), NOW));
        assertEquals(Optional.empty(), RetryHints.retryAfter(headers("Retry-After", "-3"), NOW));
        assertEquals(Optional.of(Duration.ofSeconds(4)),
                RetryHints.retryAfter(headers("retry-after-ms", "NaN", "Retry-After", "4"), NOW));
        assertEquals(Optional.empty(), RetryHints.shouldRetry(headers("x-should-retry", "maybe")));
    }

    @Test
    void shouldRetryReadsBothNames() {
        assertEquals(Optional.of(true), RetryHints.shouldRetry(headers("x-should-retry", "TRUE")));
        assertEquals(Optional.of(false), RetryHints.shouldRetry(headers("Stripe-Should-Retry", "false")));
        assertEquals(Optional.empty(), RetryHints.shouldRetry(HttpHeaders.of(Map.of(), (n, v) -> true)));
    }
}
