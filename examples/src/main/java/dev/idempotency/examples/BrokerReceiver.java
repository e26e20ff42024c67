package dev.idempotency.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Objects;

/**
 * What the broker's inbox consumer does with each {@code post.published} message: the webhook receiver's work
 * ({@link PostPublishedReceiver}) without HTTP. The library's consumer runs it inside {@code JdbcInbox.process}
 * for the message's id (the outbox id), so the receipt commits with the inbox's marker, and acknowledges the
 * message only after that commit; a redelivery finds the marker and does not run it again.
 *
 * <p>The receipt goes into {@code received_events} like a webhook's, with the message id in its
 * {@code webhook_id} column, so {@code GET /webhooks/received} lists both.
 */
final class BrokerReceiver implements EventBroker.Handler {

    private final ReceivedEventRepository receipts;
    private final ObjectMapper json;
    private final Clock clock;

    /** @param receipts on the inbox's transaction-joining DataSource */
    BrokerReceiver(ReceivedEventRepository receipts, ObjectMapper json, Clock clock) {
        this.receipts = Objects.requireNonNull(receipts, "receipts");
        this.json = Objects.requireNonNull(json, "json");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Records the event.
     *
     * @throws IllegalArgumentException for a message that is not a {@code post.published} event with a post:
     *     the inbox rolls back and the consumer gives the message back, until it dead-letters it
     */
    @Override
    public void handle(String messageId, byte[] payload) throws Exception {
        String text = new String(payload, StandardCharsets.UTF_8);
        JsonNode event = json.readTree(text);
        if (!PostPublishedReceiver.isPostPublished(event)) {
            throw new IllegalArgumentException("Message " + messageId + " is not a " + PostEvents.PUBLISHED
                    + " event with a post");
        }
        JsonNode data = event.get("data");
        receipts.insert(messageId, PostEvents.PUBLISHED, data.get("id").asLong(), data.get("account_id").asText(),
                text, clock.instant());
    }
}
