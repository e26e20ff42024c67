package dev.idempotency.jdbc.internal;

import java.util.Collections;
import java.util.List;

/** How the statements of this library pass lists of values, the same on every engine (times: {@link SqlTimes}). */
public final class SqlValues {

    private SqlValues() {
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
