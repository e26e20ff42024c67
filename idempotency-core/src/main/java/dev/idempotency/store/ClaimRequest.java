package dev.idempotency.store;

import dev.idempotency.RequestFingerprint;
import java.time.Instant;
import java.util.Objects;

/**
 * A request to claim a key.
 *
 * @param key the scoped key
 * @param fingerprint the fingerprint of the request, stored with the record
 * @param now the current time by the configured clock; records with {@code expiresAt <= now} are
 *     treated as absent
 * @param expiresAt when the record created by this claim expires
 */
public record ClaimRequest(RecordKey key, RequestFingerprint fingerprint, Instant now, Instant expiresAt) {

    public ClaimRequest {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(expiresAt, "expiresAt");
        if (!expiresAt.isAfter(now)) {
            throw new IllegalArgumentException("expiresAt " + expiresAt + " must be after now " + now);
        }
    }
}
