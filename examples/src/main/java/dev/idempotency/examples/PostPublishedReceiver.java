package dev.idempotency.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.webhooks.VerifiedWebhook;
import dev.idempotency.webhooks.WebhookReceiverFilter;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Objects;

/**
 * {@code POST /webhooks/post-published}: the demo's webhook receiver. It records every {@code post.published}
 * event it applies in {@code received_events} ({@link ReceivedEventRepository}), once per event.
 *
 * <p>The handler only validates and inserts. The {@link WebhookReceiverFilter} in front of it does the rest:
 * it verifies the Standard Webhooks signature and timestamp before this handler runs (401 otherwise), runs
 * it inside {@code JdbcInbox.process} for the request's {@code webhook-id}, commits the receipt together with
 * the inbox's marker when the handler answers 2xx, and answers a {@code webhook-id} it has already applied
 * with 204 and {@code Webhook-Duplicate: true} without running the handler. The insert goes through the
 * inbox's transaction-joining DataSource; that is what makes it part of the marker's transaction.
 *
 * <p>The idempotency filter must not cover this path: it would open the request's transaction on the same
 * pool, and the inbox refuses to run inside another transaction, since it must commit its marker with the
 * handler's writes in one of its own.
 *
 * <p>Answers: 200 with the receipt as JSON; 400 problem for a verified body that is not a {@code post.published}
 * event with a post (nothing is recorded, and the outbox's webhook publisher takes a 400 as final: the
 * message is dead, to be re-queued by hand once the receiver is fixed).
 */
final class PostPublishedReceiver extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private final transient ReceivedEventRepository receipts;
    private final transient ObjectMapper json;
    private final transient Clock clock;

    PostPublishedReceiver(ReceivedEventRepository receipts, ObjectMapper json, Clock clock) {
        this.receipts = Objects.requireNonNull(receipts, "receipts");
        this.json = Objects.requireNonNull(json, "json");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        VerifiedWebhook webhook = (VerifiedWebhook) request.getAttribute(WebhookReceiverFilter.WEBHOOK_ATTRIBUTE);
        if (webhook == null) {
            throw new ServletException("No verified webhook on the request: " + request.getRequestURI()
                    + " must be behind WebhookReceiverFilter");
        }
        // The body exactly as received (and verified); stored as it came, parsed only to be checked.
        String payload = new String(request.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        JsonNode event;
        try {
            event = json.readTree(payload);
        } catch (JsonProcessingException e) {
            Problems.badRequest(request, response, json, "The webhook's body is not valid JSON: "
                    + e.getOriginalMessage());
            return;
        }
        if (!isPostPublished(event)) {
            Problems.badRequest(request, response, json, "Expected a " + PostEvents.PUBLISHED + " event, "
                    + "{\"type\": \"" + PostEvents.PUBLISHED + "\", \"data\": {\"id\": <post id>, \"account_id\": ...}}");
            return;
        }

        JsonNode data = event.get("data");
        ReceivedEvent receipt;
        try {
            receipt = receipts.insert(webhook.id(), PostEvents.PUBLISHED, data.get("id").asLong(),
                    data.get("account_id").asText(), payload, clock.instant());
        } catch (SQLException e) {
            // Thrown: the inbox rolls back, records no marker, and the sender's next attempt runs this again.
            throw DatabaseUnavailableException.of("Could not record webhook " + webhook.id(), e);
        }
        byte[] body = json.writeValueAsBytes(receipt.toJson(json));
        Responses.json(response, HttpServletResponse.SC_OK, body);
    }

    /**
     * Whether {@code event} is a {@code post.published} event with a post: {@code {"type": "post.published",
     * "data": {"id": <a long>, "account_id": <text>, ...}}}. The broker consumer's check too ({@link BrokerReceiver}).
     */
    static boolean isPostPublished(JsonNode event) {
        JsonNode data = event == null ? null : event.get("data");
        return event != null && PostEvents.PUBLISHED.equals(event.path("type").asText(null)) && data != null
                && data.path("id").isIntegralNumber() && data.path("id").canConvertToLong()
                && data.path("account_id").isTextual();
    }
}
