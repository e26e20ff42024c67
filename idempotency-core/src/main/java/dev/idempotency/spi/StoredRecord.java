package dev.idempotency.spi;

import dev.idempotency.RequestFingerprint;
import dev.idempotency.StoredResponse;
import java.time.Instant;
import java.util.Objects;

/**
 * A completed key: the request it was first used for and the outcome to replay.
 *
 * @param key the scoped key
 * @param fingerprint the fingerprint of the request that completed it
 * @param response the stored outcome
 * @param createdAt when the completing request claimed the key
 * @param expiresAt when the record stops counting
 */
public record StoredRecord(RecordKey key, RequestFingerprint fingerprint, StoredResponse response,
        Instant createdAt, Instant expiresAt) {

    public StoredRecord {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(response, "response");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }
}
