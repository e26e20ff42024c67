package dev.idempotency.examples.springboot;

import java.time.Duration;
import java.util.Locale;

/**
 * How long the long-running variant of a fault test runs: the system property {@value #PROPERTY}
 * ({@code -Dfault.duration=10m} on the Maven command line, which failsafe passes on), as {@code 500ms},
 * {@code 90s}, {@code 10m}, {@code 2h} or ISO-8601 ({@code PT10M}). Without it, the short variant every build runs.
 */
final class FaultDuration {

    static final String PROPERTY = "fault.duration";

    private FaultDuration() {
    }

    static Duration fromSystemProperty(Duration otherwise) {
        String value = System.getProperty(PROPERTY);
        if (value == null || value.isBlank()) {
            return otherwise;
        }
        String text = value.trim().toLowerCase(Locale.ROOT);
        try {
            if (text.startsWith("pt")) {
                return Duration.parse(text.toUpperCase(Locale.ROOT));
            }
            if (text.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
            }
            long amount = Long.parseLong(text.substring(0, text.length() - 1));
            switch (text.charAt(text.length() - 1)) {
                case 's':
                    return Duration.ofSeconds(amount);
                case 'm':
                    return Duration.ofMinutes(amount);
                case 'h':
                    return Duration.ofHours(amount);
                default:
                    break;
            }
        } catch (RuntimeException e) {
            // Reported below with the value.
        }
        throw new IllegalArgumentException("Invalid value '" + value + "' for -D" + PROPERTY
                + ": expected a duration such as 90s, 10m, 2h or PT10M");
    }
}
