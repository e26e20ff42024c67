package dev.idempotency.store;

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
     * @param retryAfterHint how long the store expects the holder to need, when it knows
     */
    record Busy(Optional<Duration> retryAfterHint) implements ClaimResult {
        private static final Busy UNKNOWN = new Busy(Optional.empty());

        public Busy {
            Objects.requireNonNull(retryAfterHint, "retryAfterHint");
        }

        /** Busy, with no idea for how long. */
        public static Busy unknown() {
            return UNKNOWN;
        }
    }
}
