package dev.idempotency.webhooks.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.idempotency.adapter.Problem;
import dev.idempotency.webhooks.WebhookVerificationException;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * An RFC 9457 problem answered by the webhook receiver instead of running the handler, served as
 * {@code application/problem+json} with {@code Cache-Control: no-store}. The {@code type} is
 * {@code urn:idempotency:problem:webhook-<name>}, in the same scheme as the HTTP filter's problems.
 *
 * @param status the HTTP status
 * @param name the problem's name, the end of its type
 * @param title a short summary
 * @param detail what happened and what to do, for a person
 * @param retryAfterSeconds the {@code Retry-After} to send, or 0 for none
 */
public record WebhookProblem(int status, String name, String title, String detail, long retryAfterSeconds) {

    private static final String TYPE_PREFIX = "urn:idempotency:problem:webhook-";
    private static final JsonFactory JSON = JsonFactory.builder().build();

    /** 401: the request is not an authentic, current webhook. */
    public static WebhookProblem unverified(WebhookVerificationException e) {
        return new WebhookProblem(401, e.reason().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                "Webhook not verified", e.getMessage() + " Nothing was processed.", 0);
    }

    /** 413: the body is over the receiver's limit. */
    public static WebhookProblem bodyTooLarge(long limit, long declared) {
        return new WebhookProblem(413, "body-too-large", "Webhook body too large",
                "The request body " + (declared >= 0 ? "of " + declared + " bytes " : "")
                        + "exceeds this endpoint's limit of " + limit + " bytes, so it was not verified or "
                        + "processed.", 0);
    }

    /**
     * 422: the webhook id was already processed with a different body; the handler did not run. The same rule
     * as an {@code Idempotency-Key} reused for a different request.
     */
    public static WebhookProblem idReused(String webhookId) {
        return new WebhookProblem(422, "id-reused", "webhook-id reused",
                "The webhook-id " + webhookId + " was already processed by this endpoint with a different body, "
                        + "so this body was not processed. A redelivery must carry the same body, byte for byte; "
                        + "a new event needs a new webhook-id.", 0);
    }

    /** 503: the inbox could not record the delivery; nothing took effect, and a redelivery will run. */
    public static WebhookProblem inboxUnavailable(long retryAfterSeconds) {
        return new WebhookProblem(503, "inbox-unavailable", "Service temporarily unavailable",
                "The webhook was verified, but its delivery could not be recorded, so its effects were rolled "
                        + "back and nothing happened. Deliver it again (same webhook-id) after " + retryAfterSeconds
                        + " second(s).", retryAfterSeconds);
    }

    /** 500: the inbox's database failed in a way a retry is not expected to fix; nothing took effect. */
    public static WebhookProblem inboxFailure() {
        return new WebhookProblem(500, "inbox-failure", "Internal server error",
                "The webhook was verified, but its delivery could not be recorded, so its effects were rolled "
                        + "back and nothing happened. The receiver's log has the cause.", 0);
    }

    /** 500: the handler's response was too large to hold until the commit, so its effects were rolled back. */
    public static WebhookProblem responseTooLarge(int limit) {
        return new WebhookProblem(500, "response-too-large", "Response too large",
                "The handler's response exceeded the receiver's limit of " + limit + " bytes, so its effects "
                        + "were rolled back and nothing happened. The receiver's limit needs raising.", 0);
    }

    /** The problem's {@code type} URI. */
    public String type() {
        return TYPE_PREFIX + name;
    }

    /** Sends the problem on {@code response}. */
    public void write(HttpServletResponse response, String instance) throws IOException {
        byte[] body = toJson(instance);
        response.setStatus(status);
        response.setContentType(Problem.MEDIA_TYPE);
        response.setHeader("Cache-Control", "no-store");
        if (retryAfterSeconds > 0) {
            response.setHeader("Retry-After", Long.toString(retryAfterSeconds));
        }
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /** The RFC 9457 JSON document; {@code instance} is left out when {@code null}. */
    public byte[] toJson(String instance) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + detail.length());
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("type", type());
            json.writeStringField("title", title);
            json.writeNumberField("status", status);
            json.writeStringField("detail", detail);
            if (instance != null) {
                json.writeStringField("instance", instance);
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
