package dev.idempotency.jdbc.internal;

import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.StoredRecord;
import java.util.Objects;

/**
 * What a dialect's claim of a key found: the key is now the claimant's, another request holds it, or its
 * outcome is stored.
 */
public sealed interface ClaimFound {

    /**
     * The key is the claimant's.
     *
     * @param fencingToken the token the claim was granted
     * @param recordPending whether the key's record is still to be written: the claim is a lock alone, and its
     *     outcome is inserted by {@link SqlDialect#insertCompletedAndCommit} rather than updated by
     *     {@link SqlDialect#complete}
     */
    record Acquired(long fencingToken, boolean recordPending) implements ClaimFound {

        /** Acquired with the record written now, at token {@code fencingToken}. */
        static Acquired withRecord(long fencingToken) {
            return new Acquired(fencingToken, false);
        }

        /**
         * Acquired by a lock alone: the record is written with the outcome (with a token from the database's
         * clock). The claim's own token is 1: in transaction mode the transaction guards the writes, not it.
         */
        static Acquired lockOnly() {
            return new Acquired(1, true);
        }
    }

    /** Another request holds the key; {@code answer} says what is known of it. */
    record Busy(ClaimResult.Busy answer) implements ClaimFound {
        public Busy {
            Objects.requireNonNull(answer, "answer");
        }
    }

    /** The key's outcome is stored and live. */
    record Existing(StoredRecord record) implements ClaimFound {
        public Existing {
            Objects.requireNonNull(record, "record");
        }
    }
}
