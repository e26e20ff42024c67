package dev.idempotency.webhooks;

import dev.idempotency.adapter.Problem;
import dev.idempotency.adapter.RequestBodyTooLargeException;
import java.time.Duration;
import java.util.Locale;

/**
 * The RFC 9457 problems {@link WebhookReceiverFilter} answers instead of running the handler, or instead of its
 * answer: {@link Problem}s whose {@code type} is {@code urn:idempotency:problem:webhook-<name>}, in the scheme of
 * the HTTP filter's problems, and sent by the same writer.
 */
final class WebhookProblems {

    private WebhookProblems() {
    }

    /** 401: the request is not an authentic, current webhook. */
    static Problem unverified(WebhookVerificationException e) {
        return Problem.of(401, "webhook-" + e.reason().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                "Webhook not verified", e.getMessage() + " Nothing was processed.", null);
    }

    /** 413: the body is over the receiver's limit. */
    static Problem bodyTooLarge(RequestBodyTooLargeException e) {
        long declared = e.declaredLength();
        return Problem.of(413, "webhook-body-too-large", "Webhook body too large",
                "The request body " + (declared >= 0 ? "of " + declared + " bytes " : "")
                        + "exceeds this endpoint's limit of " + e.limit() + " bytes, so it was not verified or "
                        + "processed.", null);
    }

    /**
     * 422: the webhook id was already processed with a different body; the handler did not run. The same rule
     * as an {@code Idempotency-Key} reused for a different request.
     */
    static Problem idReused(String webhookId) {
        return Problem.of(422, "webhook-id-reused", "webhook-id reused",
                "The webhook-id " + webhookId + " was already processed by this endpoint with a different body, "
                        + "so this body was not processed. A redelivery must carry the same body, byte for byte; "
                        + "a new event needs a new webhook-id.", null);
    }

    /** 503: the inbox could not record the delivery; nothing took effect, and a redelivery will run. */
    static Problem inboxUnavailable(long retryAfterSeconds) {
        return Problem.of(503, "webhook-inbox-unavailable", "Service temporarily unavailable",
                "The webhook was verified, but its delivery could not be recorded, so its effects were rolled "
                        + "back and nothing happened. Deliver it again (same webhook-id) after " + retryAfterSeconds
                        + " second(s).", Duration.ofSeconds(retryAfterSeconds));
    }

    /** 500: the inbox's database failed in a way a retry is not expected to fix; nothing took effect. */
    static Problem inboxFailure() {
        return Problem.of(500, "webhook-inbox-failure", "Internal server error",
                "The webhook was verified, but its delivery could not be recorded, so its effects were rolled "
                        + "back and nothing happened. The receiver's log has the cause.", null);
    }

    /** 500: the handler's response was too large to hold until the commit, so its effects were rolled back. */
    static Problem responseTooLarge(int limit) {
        return Problem.of(500, "webhook-response-too-large", "Response too large",
                "The handler's response exceeded the receiver's limit of " + limit + " bytes, so its effects "
                        + "were rolled back and nothing happened. The receiver's limit needs raising.", null);
    }
}
