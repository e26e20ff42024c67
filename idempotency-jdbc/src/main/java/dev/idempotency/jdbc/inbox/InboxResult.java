package dev.idempotency.jdbc.inbox;

/**
 * What {@link JdbcInbox#process} did with a message: {@link Applied} (the work ran and its effect committed
 * together with the message's marker), {@link Duplicate} (the message had been applied before, and the
 * work did not run) or, only when the payload was given, {@link Reused} (the message id had been applied with
 * a different payload, and the work did not run).
 *
 * <pre>{@code
 * InboxResult<Order> result = inbox.process("billing", event.id(), () -> orders.insert(event));
 * if (result instanceof InboxResult.Applied<Order> applied) {
 *     log.info("created order {}", applied.value().id());
 * }
 * }</pre>
 *
 * @param <T> what the work returns
 */
public sealed interface InboxResult<T> {

    /**
     * The work ran and committed, together with the marker that makes later deliveries of the same message
     * {@link Duplicate}s.
     *
     * @param value what the work returned (may be {@code null})
     * @param <T> what the work returns
     */
    record Applied<T>(T value) implements InboxResult<T> {
    }

    /**
     * The message had already been applied by the same consumer (its marker was committed and has not been
     * purged yet); the work did not run and nothing was written.
     *
     * @param <T> what the work would have returned
     */
    record Duplicate<T>() implements InboxResult<T> {
    }

    /**
     * The message id had already been applied by the same consumer with a <em>different</em> payload (the
     * digest its marker keeps differs from this payload's): the sender reused the id for another message. The
     * work did not run and nothing was written. Only
     * {@link JdbcInbox#process(String, String, byte[], InboxWork) process with a payload}
     * returns it. Refuse the message rather than acknowledge it as applied: its payload never took effect, and
     * no redelivery of it will. This is not a {@linkplain #duplicate() duplicate}.
     *
     * @param <T> what the work would have returned
     */
    record Reused<T>() implements InboxResult<T> {
    }

    /** Whether the message was a duplicate, so the work did not run ({@code false} for {@link Reused}). */
    default boolean duplicate() {
        return this instanceof Duplicate;
    }
}
