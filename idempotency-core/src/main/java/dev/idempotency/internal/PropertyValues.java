package dev.idempotency.internal;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsers for the textual forms of durations and sizes in properties files. Each returns {@code null}
 * for text it cannot read, so the caller can name the property in its error.
 */
public final class PropertyValues {

    private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kb|kib|mb|mib|gb|gib)?");

    private PropertyValues() {
    }

    /** {@code 500ms}, {@code 30s}, {@code 10m}, {@code 24h}, {@code 7d}, or ISO-8601 such as {@code PT24H}. */
    public static Duration duration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIMPLE_DURATION.matcher(t);
        try {
            if (m.matches()) {
                long amount = Long.parseLong(m.group(1));
                switch (m.group(2)) {
                    case "ms": return Duration.ofMillis(amount);
                    case "s": return Duration.ofSeconds(amount);
                    case "m": return Duration.ofMinutes(amount);
                    case "h": return Duration.ofHours(amount);
                    default: return Duration.ofDays(amount);
                }
            }
            if (t.startsWith("p")) {
                return Duration.parse(t.toUpperCase(Locale.ROOT));
            }
        } catch (ArithmeticException | NumberFormatException | DateTimeParseException e) {
            return null;
        }
        return null;
    }

    /** Bytes, optionally with a binary unit: {@code 1048576}, {@code 512KB}, {@code 1MB} (1 MB = 1024 KB). */
    public static Long bytes(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return null;
        }
        try {
            long amount = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "b" : m.group(2);
            int shift = switch (unit) {
                case "kb", "kib" -> 10;
                case "mb", "mib" -> 20;
                case "gb", "gib" -> 30;
                default -> 0;
            };
            if (amount > (Long.MAX_VALUE >> shift)) {
                return null;
            }
            return amount << shift;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** {@code true} or {@code false}, case-insensitive; anything else is {@code null}. */
    public static Boolean bool(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        return t.equals("true") ? Boolean.TRUE : t.equals("false") ? Boolean.FALSE : null;
    }
}
