package dev.idempotency.webhooks.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetryAfterTest {

    private static final Instant NOW = Instant.parse("2015-10-21T07:28:00Z");

    @Test
    void readsDelaySeconds() {
        assertEquals(Optional.of(Duration.ofSeconds(120)), RetryAfter.parse("120", NOW));
        assertEquals(Optional.of(Duration.ZERO), RetryAfter.parse("0", NOW));
        assertEquals(Optional.of(Duration.ofSeconds(5)), RetryAfter.parse(" 5 ", NOW));
    }

    @Test
    void readsAnHttpDateRelativeToNow() {
        assertEquals(Optional.of(Duration.ofSeconds(90)), RetryAfter.parse("Wed, 21 Oct 2015 07:29:30 GMT", NOW));
    }

    @Test
    void aDateInThePastMeansNow() {
        assertEquals(Optional.of(Duration.ZERO), RetryAfter.parse("Wed, 21 Oct 2015 07:00:00 GMT", NOW));
    }

    @Test
    void anAbsurdlyLongDelayIsCappedInsteadOfOverflowing() {
        assertEquals(Optional.of(Duration.ofSeconds(999_999_999_999L)),
                RetryAfter.parse("99999999999999999999999", NOW));
    }

    @Test
    void anythingElseIsIgnored() {
        for (String value : new String[] {null, "", "soon", "-5", "1.5", "Wednesday"}) {
            assertEquals(Optional.empty(), RetryAfter.parse(value, NOW), value);
        }
    }
}
