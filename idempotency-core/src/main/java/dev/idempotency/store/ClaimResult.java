package dev.idempotency.store;

import dev.idempotency.RequestFingerprint;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link IdempotencyStore#claim} found: the key is now ours, it was completed before, or another
 * request holds it.
 */
public sealed interface ClaimResult {

    /** The key was free (absent or expired) and is now held by the caller. */
    record Acquired(Claim claim) implements ClaimResult {
        public Acquired {
            Objects.requireNonNull(claim, "claim");
        }
    }

    /**
     * The key was completed earlier and has not expired. The store does not judge whether the request is
     * the same one; the caller compares fingerprints.
     */
    record Existing(StoredRecord record) implements ClaimResult {
        public Existing {
            Objects.requireNonNull(record, "record");
        }
    }

    /**
     * Another request holds the key and has not finished.
     *
     * @param retryAfterHint how long the store expects the holder to need (the rest of its lease), when it
     *     knows
     * @param holderFingerprint the fingerprint of the request holding the key, when the store can see it
     *     (a committed lease); a different fingerprint means the key is being reused for another request
     */
    record Busy(Optional<Duration> retryAfterHint, Optional<RequestFingerprint> holderFingerprint)
            implements ClaimResult {
        private static final Busy UNKNOWN = new Busy(Optional.empty(), Optional.empty());

        public Busy {
            Objects.requireNonNull(retryAfterHint, "retryAfterHint");
            Objects.requireNonNull(holderFingerprint, "holderFingerprint");
        }

        /** Busy, without knowing the holder's request. */
        public Busy(Optional<Duration> retryAfterHint) {
            this(retryAfterHint, Optional.empty());
        }

        /** Busy, with no idea for how long or for which request. */
        public static Busy unknown() {
            return UNKNOWN;
        }

        /** Busy for a holder whose lease has {@code retryAfter} left. */
        public static Busy leased(Duration retryAfter, RequestFingerprint holderFingerprint) {
            return new Busy(Optional.of(retryAfter), Optional.of(holderFingerprint));
        }
    }
}
