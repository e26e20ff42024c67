package dev.idempotency.jdbc.internal;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.List;

/** How the statements of this library pass times and lists of values, the same on every engine. */
public final class SqlValues {

    private SqlValues() {
    }

    /** {@code instant} as a {@code TIMESTAMP WITH TIME ZONE} parameter, in UTC. */
    public static OffsetDateTime timestamp(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    /** The {@code TIMESTAMP WITH TIME ZONE} in {@code column} of the current row, or {@code null}. */
    public static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    /** {@code n} comma-separated parameter placeholders, for an IN list. */
    public static String placeholders(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }

    /** {@code values} in slices of at most {@code size}, for IN lists of a bounded length. */
    public static List<List<String>> slices(List<String> values, int size) {
        List<List<String>> slices = new java.util.ArrayList<>();
        for (int from = 0; from < values.size(); from += size) {
            slices.add(values.subList(from, Math.min(values.size(), from + size)));
        }
        return slices;
    }
}
