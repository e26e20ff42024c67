package dev.idempotency.it.faults;

import java.time.Duration;
import java.util.Locale;

/**
 * The knobs of the fault tests, read from system properties, which Maven passes on from its command line
 * ({@code mvn verify -Dfault.duration=10m}):
 * <ul>
 * <li>{@value #DURATION}: how long the long-running variant runs ({@code 90s}, {@code 10m}, {@code 2h}, or
 * ISO-8601 such as {@code PT10M}). The randomised test runs that long per database and mode, the duplicate
 * storm repeats its rounds until it has; without it every build runs the short variants.</li>
 * <li>{@value #SEED}: the seed of the randomised test, printed at its start, to replay a failing run's
 * choices.</li>
 * </ul>
 */
final class FaultSettings {

    static final String DURATION = "fault.duration";
    static final String SEED = "fault.seed";

    private FaultSettings() {
    }

    /** {@value #DURATION}, or {@code otherwise} without it. */
    static Duration duration(Duration otherwise) {
        String value = System.getProperty(DURATION);
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
        throw new IllegalArgumentException("Invalid value '" + value + "' for -D" + DURATION
                + ": expected a duration such as 90s, 10m, 2h or PT10M");
    }

    /** {@value #SEED}, or a fresh random seed. */
    static long seed() {
        String value = System.getProperty(SEED);
        if (value == null || value.isBlank()) {
            return new java.security.SecureRandom().nextLong();
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Invalid value '" + value + "' for -D" + SEED + ": expected a long");
        }
    }
}
