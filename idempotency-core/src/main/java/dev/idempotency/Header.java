package dev.idempotency;

import java.util.Objects;

/**
 * One HTTP header field line. Names keep the case the handler used; comparisons of names are
 * case-insensitive, as in HTTP.
 *
 * @param name the field name
 * @param value the field value
 */
public record Header(String name, String value) {

    public Header {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }

    /** Whether this header's name is {@code other}, ignoring case. */
    public boolean hasName(String other) {
        return name.equalsIgnoreCase(other);
    }
}
