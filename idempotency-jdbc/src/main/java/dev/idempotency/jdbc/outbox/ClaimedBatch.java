package dev.idempotency.jdbc.outbox;

import java.time.Instant;
import java.util.List;

/**
 * The messages one claim leased to a relay, under one lease token until {@code leaseEnd}, in units: a single
 * message, or (with ordering) a key's run, published in order on one thread.
 *
 * @param size how many messages the units hold
 */
record ClaimedBatch(long leaseToken, Instant leaseEnd, List<List<Message>> units, int size) {

    /** A batch of nothing. */
    static ClaimedBatch empty(long leaseToken, Instant leaseEnd) {
        return new ClaimedBatch(leaseToken, leaseEnd, List.of(), 0);
    }

    /**
     * A claimed message.
     *
     * @param seq its place in enqueue order
     * @param attempt the attempt this claim counted: 1 for the first
     */
    record Message(OutboxMessage message, long seq, int attempt) {

        String id() {
            return message.id();
        }
    }
}
