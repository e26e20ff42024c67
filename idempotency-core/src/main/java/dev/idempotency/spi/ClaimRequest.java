package dev.idempotency.spi;

import dev.idempotency.ExecutionMode;
import dev.idempotency.RequestFingerprint;
import java.time.Duration;
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
 * @param mode how the claim relates to transactions
 * @param leaseDuration in {@link ExecutionMode#LEASE} mode, how long the lease lasts from the moment the
 *     store grants it, judged on the store's own clock; {@code null} in transaction mode
 */
public record ClaimRequest(RecordKey key, RequestFingerprint fingerprint, Instant now, Instant expiresAt,
        ExecutionMode mode, Duration leaseDuration) {

    public ClaimRequest {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(mode, "mode");
        if (!expiresAt.isAfter(now)) {
            throw new IllegalArgumentException("expiresAt " + expiresAt + " must be after now " + now);
        }
        if (mode == ExecutionMode.LEASE && (leaseDuration == null || leaseDuration.isNegative()
                || leaseDuration.isZero())) {
            throw new IllegalArgumentException("A lease-mode claim needs a positive lease duration, not "
                    + leaseDuration);
        }
    }

    /** A transaction-mode claim. */
    public ClaimRequest(RecordKey key, RequestFingerprint fingerprint, Instant now, Instant expiresAt) {
        this(key, fingerprint, now, expiresAt, ExecutionMode.TRANSACTION, null);
    }

    /** A lease-mode claim. */
    public static ClaimRequest lease(RecordKey key, RequestFingerprint fingerprint, Instant now, Instant expiresAt,
            Duration leaseDuration) {
        return new ClaimRequest(key, fingerprint, now, expiresAt, ExecutionMode.LEASE, leaseDuration);
    }
}
