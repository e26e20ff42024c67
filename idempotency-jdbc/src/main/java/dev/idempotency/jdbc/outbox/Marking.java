package dev.idempotency.jdbc.outbox;

import dev.idempotency.jdbc.outbox.ClaimedBatch.Message;
import java.time.Instant;

/**
 * How one claimed message is to be marked after its turn to be published.
 *
 * @param availableAt when a {@link Mark#RETRY retried} message is due again
 * @param error the error kept as the message's last, for a retry or a death
 * @param published whether the publisher was called for it
 */
record Marking(Message claimed, Mark mark, Instant availableAt, String error, boolean published) {

    /** What becomes of the message. */
    enum Mark {
        /** Deleted, or kept as delivered for the retention. */
        DELIVERED,
        /** Due again at {@code availableAt}. */
        RETRY,
        /** Dead: kept until re-queued or discarded. */
        DEAD,
        /** Given back unattempted: due at once, the attempt not counted. */
        RELEASE
    }

    static Marking delivered(Message claimed) {
        return new Marking(claimed, Mark.DELIVERED, null, null, true);
    }

    static Marking retry(Message claimed, Instant availableAt, String error) {
        return new Marking(claimed, Mark.RETRY, availableAt, error, true);
    }

    static Marking dead(Message claimed, String error, boolean published) {
        return new Marking(claimed, Mark.DEAD, null, error, published);
    }

    static Marking release(Message claimed) {
        return new Marking(claimed, Mark.RELEASE, null, null, false);
    }
}
