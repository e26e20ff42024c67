package dev.idempotency.testing;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Locale;

/**
 * The knobs of long-running fault tests, read from system properties, which Maven's Surefire and Failsafe
 * pass on from the command line ({@code mvn verify -Dfault.duration=10m}):
 * <ul>
 * <li>{@value #DURATION}: how long the long-running variant of a fault test runs, as {@code 500ms},
 * {@code 90s}, {@code 10m}, {@code 2h} or ISO-8601 ({@code PT10M}). Without it, a test runs its short
 * variant, the one every build runs.</li>
 * <li>{@value #SEED}: the seed of a randomised test, which prints the seed it used so that a failing run's
 * choices can be replayed.</li>
 * </ul>
 */
public final class FaultSettings {

    /** The system property naming how long a fault test's long-running variant runs. */
    public static final String DURATION = "fault.duration";

    /** The system property holding the seed of a randomised fault test. */
    public static final String SEED = "fault.seed";

    private FaultSettings() {
    }

    /**
     * {@value #DURATION}, or {@code otherwise} without it.
     *
     * @throws IllegalArgumentException naming the property and the value, if it is not a duration
     */
    public static Duration duration(Duration otherwise) {
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

    /**
     * {@value #SEED}, or a fresh random seed without it.
     *
     * @throws IllegalArgumentException naming the property and the value, if it is not a whole number
     */
    public static long seed() {
        String value = System.getProperty(SEED);
        if (value == null || value.isBlank()) {
            return new SecureRandom().nextLong();
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Invalid value '" + value + "' for -D" + SEED + ": expected a long");
        }
    }
}
