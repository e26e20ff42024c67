package dev.idempotency.client.internal;

import java.net.http.HttpHeaders;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;

/**
 * What an answer says about retrying it: whether to ({@code x-should-retry}, {@code Stripe-Should-Retry}) and
 * when ({@code retry-after-ms}, {@code Retry-After}). A hint that does not parse is no hint: the client then
 * follows its own policy, as it would without one.
 */
public final class RetryHints {

    /** The header some SDK-facing APIs send to say whether a retry may succeed. */
    public static final String SHOULD_RETRY = "x-should-retry";

    /** Stripe's name for the same hint. */
    public static final String STRIPE_SHOULD_RETRY = "Stripe-Should-Retry";

    /** A pause in milliseconds, more precise than {@code Retry-After}'s seconds. */
    public static final String RETRY_AFTER_MS = "retry-after-ms";

    /** RFC 9110's pause: delay-seconds or an HTTP date. */
    public static final String RETRY_AFTER = "Retry-After";

    private RetryHints() {
    }

    /** The server's word on retrying: {@code true}, {@code false}, or empty when it said nothing clear. */
    public static Optional<Boolean> shouldRetry(HttpHeaders headers) {
        for (String name : new String[] {SHOULD_RETRY, STRIPE_SHOULD_RETRY}) {
            Optional<String> value = headers.firstValue(name).map(v -> v.strip().toLowerCase(Locale.ROOT));
            if (value.isPresent() && (value.get().equals("true") || value.get().equals("false"))) {
                return Optional.of(Boolean.valueOf(value.get()));
            }
        }
        return Optional.empty();
    }

    /**
     * The pause the server asked for, never negative: {@code retry-after-ms} if it parses, else
     * {@code Retry-After} as delay-seconds or as an HTTP date. A date is counted from the answer's own
     * {@code Date} header when it has one (so the two clocks need not agree), else from {@code clock}.
     */
    public static Optional<Duration> retryAfter(HttpHeaders headers, Clock clock) {
        Optional<String> millis = headers.firstValue(RETRY_AFTER_MS);
        if (millis.isPresent()) {
            try {
                double value = Double.parseDouble(millis.get().strip());
                if (Double.isFinite(value)) {
                    return Optional.of(Duration.ofNanos((long) (Math.max(0, Math.min(value, 86_400_000d)) * 1e6)));
                }
            } catch (NumberFormatException e) {
                // Not a number: fall through to Retry-After.
            }
        }
        Optional<String> retryAfter = headers.firstValue(RETRY_AFTER).map(String::strip);
        if (retryAfter.isEmpty() || retryAfter.get().isEmpty()) {
            return Optional.empty();
        }
        String value = retryAfter.get();
        if (value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            // Longer than a day is as good as never for a live call: the deadline ends it anyway.
            return Optional.of(Duration.ofSeconds(value.length() > 6 ? 86_400 : Math.min(Long.parseLong(value), 86_400)));
        }
        Optional<Instant> until = httpDate(value);
        if (until.isEmpty()) {
            return Optional.empty();
        }
        Instant now = headers.firstValue("Date").flatMap(RetryHints::httpDate).orElseGet(clock::instant);
        Duration pause = Duration.between(now, until.get());
        return Optional.of(pause.isNegative() ? Duration.ZERO : pause);
    }

    private static Optional<Instant> httpDate(String text) {
        try {
            return Optional.of(ZonedDateTime.parse(text.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
