package dev.idempotency;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Locale;
import java.util.Objects;

/**
 * Which response statuses are stored and replayed. A response whose status is not stored is still sent
 * to the client, but its transaction is rolled back and the key is freed, so a retry runs again.
 *
 * <p>The textual form is a comma-separated list of classes ({@code 2xx}), single codes ({@code 409}) and
 * exclusions ({@code !429}); exclusions win. The default, {@value #DEFAULT_SPEC}, stores successes,
 * redirects and client errors. Redirects are stored because a status that is not stored rolls back the
 * handler's writes: a {@code 303 See Other} after creating a resource must keep the resource. 408 and 429
 * are not stored: they say "try again later", and storing them would make every retry within the key's
 * lifetime fail the same way. 5xx responses are never stored by default: their effects are rolled back and
 * a retry gets a second chance.
 */
public final class StoredStatuses {

    /** The default policy's textual form. */
    public static final String DEFAULT_SPEC = "2xx,3xx,4xx,!408,!429";

    private final BitSet stored;
    private final String spec;

    private StoredStatuses(BitSet stored, String spec) {
        this.stored = stored;
        this.spec = spec;
    }

    /** Stores 2xx, 3xx and 4xx except 408 and 429. */
    public static StoredStatuses defaults() {
        return parse(DEFAULT_SPEC);
    }

    /**
     * Parses the textual form.
     *
     * @throws IllegalArgumentException with a message saying which item is wrong
     */
    public static StoredStatuses parse(String spec) {
        Objects.requireNonNull(spec, "spec");
        BitSet included = new BitSet(600);
        BitSet excluded = new BitSet(600);
        String[] items = spec.split(",");
        boolean any = false;
        for (String raw : items) {
            String item = raw.trim().toLowerCase(Locale.ROOT);
            if (item.isEmpty()) {
                continue;
            }
            boolean exclude = item.startsWith("!");
            String body = exclude ? item.substring(1).trim() : item;
            BitSet target = exclude ? excluded : included;
            if (body.length() == 3 && body.endsWith("xx") && body.charAt(0) >= '1' && body.charAt(0) <= '5') {
                int base = (body.charAt(0) - '0') * 100;
                target.set(base, base + 100);
            } else if (body.length() == 3 && body.chars().allMatch(c -> c >= '0' && c <= '9')) {
                int code = Integer.parseInt(body);
                if (code < 100 || code > 599) {
                    throw new IllegalArgumentException("status " + code + " is outside 100-599");
                }
                target.set(code);
            } else {
                throw new IllegalArgumentException("'" + raw.trim() + "' is neither a status class such as 2xx, "
                        + "a status code such as 409, nor an exclusion such as !429");
            }
            any |= !exclude;
        }
        if (!any) {
            throw new IllegalArgumentException("the list includes no status at all");
        }
        included.andNot(excluded);
        return new StoredStatuses(included, String.join(",",
                Arrays.stream(items).map(String::trim).filter(s -> !s.isEmpty()).toArray(String[]::new)));
    }

    /** Whether a response with {@code status} is stored. */
    public boolean stores(int status) {
        return status >= 0 && status < 600 && stored.get(status);
    }

    @Override
    public String toString() {
        return spec;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredStatuses other && stored.equals(other.stored);
    }

    @Override
    public int hashCode() {
        return stored.hashCode();
    }
}
