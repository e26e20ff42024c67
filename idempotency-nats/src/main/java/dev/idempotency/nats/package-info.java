/**
 * NATS JetStream for the outbox and the inbox.
 *
 * <ul>
 * <li>{@link dev.idempotency.nats.JetStreamPublisher}: the outbox relay's publisher. A message's destination is
 * the subject it is published on; its id travels as {@code Nats-Msg-Id}, so the stream's duplicate window drops
 * a re-publication; it counts as delivered only once the stream acknowledged it.</li>
 * <li>{@link dev.idempotency.nats.JetStreamInboxConsumer}: runs a handler once per message of a durable pull
 * consumer, inside {@link dev.idempotency.jdbc.inbox.JdbcInbox#process}, and acknowledges the message after the
 * commit; a failure is a {@code nak} with a delay, a message without an id is terminated.</li>
 * </ul>
 */
package dev.idempotency.nats;
