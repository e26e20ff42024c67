package dev.idempotency.spi;

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
     *     (a committed lease, say); a different fingerprint means the key is being reused for another request
     * @param heldForAnotherRequest {@code true} when the store can tell, without seeing the holder's
     *     fingerprint, that the holder's request is a different one than the claimant's (with the same
     *     fingerprint version); {@code false} when it cannot tell, or the holder's request is the same
     */
    record Busy(Optional<Duration> retryAfterHint, Optional<RequestFingerprint> holderFingerprint,
            boolean heldForAnotherRequest) implements ClaimResult {
        private static final Busy UNKNOWN = new Busy(Optional.empty(), Optional.empty(), false);
        private static final Busy ANOTHER_REQUEST = new Busy(Optional.empty(), Optional.empty(), true);

        public Busy {
            Objects.requireNonNull(retryAfterHint, "retryAfterHint");
            Objects.requireNonNull(holderFingerprint, "holderFingerprint");
        }

        /** Busy, with no idea for how long or for which request. */
        public static Busy unknown() {
            return UNKNOWN;
        }

        /** Busy for a holder whose request the store knows to be a different one than the claimant's. */
        public static Busy forAnotherRequest() {
            return ANOTHER_REQUEST;
        }

        /** Busy for a holder whose fingerprint the store can see, with no idea for how long. */
        public static Busy heldFor(RequestFingerprint holderFingerprint) {
            return new Busy(Optional.empty(), Optional.of(holderFingerprint), false);
        }

        /** Busy for a holder whose lease has {@code retryAfter} left. */
        public static Busy leased(Duration retryAfter, RequestFingerprint holderFingerprint) {
            return new Busy(Optional.of(retryAfter), Optional.of(holderFingerprint), false);
        }
    }
}
