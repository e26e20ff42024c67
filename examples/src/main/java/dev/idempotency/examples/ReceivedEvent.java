package dev.idempotency.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Objects;

/**
 * One row of the demo's {@code received_events} table: a webhook the receiver applied.
 *
 * @param id the generated id
 * @param webhookId the {@code webhook-id} it arrived with (the outbox message's id)
 * @param type the event's type, {@code post.published}
 * @param postId the post the event is about
 * @param accountId that post's account
 * @param payload the request body, as received (UTF-8 JSON)
 * @param receivedAt when the receiver applied it, to the microsecond
 */
record ReceivedEvent(long id, String webhookId, String type, long postId, String accountId, String payload,
        Instant receivedAt) {

    ReceivedEvent {
        Objects.requireNonNull(webhookId, "webhookId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(receivedAt, "receivedAt");
    }

    /**
     * The JSON form {@code GET /webhooks/received} lists: {@code id}, {@code webhook_id}, {@code type},
     * {@code post_id}, {@code account_id}, {@code received_at} (ISO-8601, UTC) and the {@code event} itself.
     *
     * @throws JsonProcessingException if the stored payload is not JSON (the receiver stores only JSON)
     */
    ObjectNode toJson(ObjectMapper json) throws JsonProcessingException {
        ObjectNode receipt = json.createObjectNode()
                .put("id", id)
                .put("webhook_id", webhookId)
                .put("type", type)
                .put("post_id", postId)
                .put("account_id", accountId)
                .put("received_at", receivedAt.toString());
        receipt.set("event", json.readTree(payload));
        return receipt;
    }
}
