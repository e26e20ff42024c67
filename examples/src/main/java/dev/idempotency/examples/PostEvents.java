package dev.idempotency.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The demo's outbound event, {@code post.published}: made from a new post and enqueued in the outbox, in
 * the transaction that inserts the post.
 *
 * <p>{@code POST /posts} runs inside an idempotent request, whose transaction is bound to the thread on the
 * store's pool; the outbox was built on the same pool, so {@link JdbcOutbox#enqueue(OutboxMessage)} joins that
 * transaction. The post, the event and the stored response therefore commit together or not at all: a
 * request that fails leaves neither post nor event, and a retry that is answered from the stored response
 * enqueues nothing, because the handler does not run again.
 *
 * <p>The message, as the relay's webhook publisher sends it:
 * <ul>
 * <li>id: {@code msg_} and 32 random hex digits, which becomes the {@code webhook-id} of every attempt;</li>
 * <li>destination: the webhook URL ({@code --webhook-url}, or the demo's own receiver), or with
 * {@code --broker} the broker's destination (an exchange and routing key, a subject, a topic), read when the
 * event is enqueued;</li>
 * <li>ordering key: the post's account, so one account's events are delivered in the order of its posts;</li>
 * <li>payload: {@code {"type": "post.published", "timestamp": <created_at>, "data": <the post as the API
 * answers it>}}, the shape of the Standard Webhooks examples.</li>
 * </ul>
 */
final class PostEvents {

    /** The event's type, in its payload. */
    static final String PUBLISHED = "post.published";

    /** The prefix of the events' ids. */
    static final String ID_PREFIX = "msg_";

    private final JdbcOutbox outbox;
    private final ObjectMapper json;
    private final Supplier<String> destination;

    /**
     * @param outbox the outbox, on the same pool as the idempotency store
     * @param destination the webhook URL or the broker's destination; asked for each event, because the demo's
     *     own receiver's port is known only once the server listens
     */
    PostEvents(JdbcOutbox outbox, ObjectMapper json, Supplier<String> destination) {
        this.outbox = Objects.requireNonNull(outbox, "outbox");
        this.json = Objects.requireNonNull(json, "json");
        this.destination = Objects.requireNonNull(destination, "destination");
    }

    /**
     * Enqueues the {@code post.published} event of {@code post} in the transaction bound to this thread (the
     * idempotent request's).
     *
     * @throws IllegalStateException if no transaction is bound on the outbox's pool
     */
    void published(Post post) throws JsonProcessingException {
        outbox.enqueue(message(post));
    }

    /** The outbox message that carries the {@code post.published} event of {@code post}. */
    OutboxMessage message(Post post) throws JsonProcessingException {
        String id = ID_PREFIX + UUID.randomUUID().toString().replace("-", "");
        return new OutboxMessage(id, destination.get(), post.accountId(),
                json.writeValueAsBytes(payload(post)), List.of(), post.createdAt());
    }

    /** The event's JSON. */
    ObjectNode payload(Post post) {
        ObjectNode event = json.createObjectNode()
                .put("type", PUBLISHED)
                .put("timestamp", post.createdAt().toString());
        event.set("data", post.toJson(json));
        return event;
    }
}
