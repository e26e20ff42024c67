/**
 * NATS JetStream for the outbox and the inbox: {@code JetStreamPublisher}, an outbox publisher that sends each
 * message with its outbox id as {@code Nats-Msg-Id} and checks the stream's acknowledgement, and
 * {@code JetStreamInboxConsumer}, which applies each message of a durable pull consumer once through the inbox
 * and acknowledges it only after the commit.
 *
 * <p>The NATS client is not a named module yet and is required by its automatic name.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.idempotency.nats {
    requires transitive dev.idempotency.jdbc;
    requires transitive io.nats.jnats;

    exports dev.idempotency.nats;
}
