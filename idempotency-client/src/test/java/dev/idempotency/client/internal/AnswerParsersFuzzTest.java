package dev.idempotency.client.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.http.HttpHeaders;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Fuzzes what the client reads from a server's answer: the retry hints and the problem document. A hint or
 * document that does not parse is no hint and no document; nothing a server sends makes the client throw.
 */
class AnswerParsersFuzzTest {

    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC);

    @FuzzTest
    void retryHintsNeverThrowAndNeverAskForANegativePause(FuzzedDataProvider data) {
        Map<String, List<String>> map = new HashMap<>();
        for (String name : new String[] {RetryHints.RETRY_AFTER_MS, RetryHints.RETRY_AFTER, "Date",
                RetryHints.SHOULD_RETRY, RetryHints.STRIPE_SHOULD_RETRY}) {
            if (data.consumeBoolean()) {
                map.put(name, List.of(data.consumeString(40)));
            }
        }
        HttpHeaders headers = HttpHeaders.of(map, (name, value) -> true);
        Optional<Duration> pause = RetryHints.retryAfter(headers, CLOCK);
        assertNotNull(pause);
        pause.ifPresent(p -> assertFalse(p.isNegative(), p::toString));
        assertNotNull(RetryHints.shouldRetry(headers));
    }

    @FuzzTest
    void problemDocumentsNeverThrow(byte[] body) {
        Optional<Map<String, Object>> members = ProblemDocuments.members(body);
        assertNotNull(members);
        members.ifPresent(m -> assertTrue(m.values().stream().allMatch(v -> v == null || v instanceof String
                || v instanceof Long || v instanceof Double || v instanceof Boolean), m::toString));
    }
}
