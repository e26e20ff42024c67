package dev.idempotency.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.idempotency.adapter.Problem;
import dev.idempotency.adapter.RequestBodyTooLargeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The receiver's problems, document for document: their {@code type}s are identifiers senders may branch on,
 * so each is pinned here with its title, status, detail and {@code Retry-After}, as the receiver has always
 * answered them.
 */
class WebhookProblemsTest {

    private static final String INSTANCE = "/webhooks/orders";

    @Test
    void anUnverifiedRequestIsA401NamedForTheReason() {
        WebhookVerificationException missing = assertThrows(WebhookVerificationException.class,
                () -> WebhookVerifier.create(WebhookSecret.generate()).verify(null, "1", "v1,x", new byte[0]));

        assertDocument(WebhookProblems.unverified(missing), "{\"type\":\"urn:idempotency:problem:webhook-missing-header\","
                + "\"title\":\"Webhook not verified\",\"status\":401,\"detail\":\"The request has no webhook-id header; a "
                + "Standard Webhooks delivery carries webhook-id, webhook-timestamp and webhook-signature. Nothing was "
                + "processed.\",\"instance\":\"/webhooks/orders\"}", null);
    }

    @Test
    void everyReasonForRefusingAWebhookHasItsOwnType() {
        Duration minute = Duration.ofMinutes(1);
        Map<WebhookVerificationException, String> types = new LinkedHashMap<>();
        types.put(WebhookVerificationException.missingHeader(WebhookHeaders.ID), "webhook-missing-header");
        types.put(WebhookVerificationException.repeatedHeader(WebhookHeaders.ID, 2), "webhook-malformed-header");
        types.put(WebhookVerificationException.malformedId("it is empty"), "webhook-malformed-header");
        types.put(WebhookVerificationException.malformedTimestamp(), "webhook-malformed-header");
        types.put(WebhookVerificationException.noSupportedSignature(1), "webhook-no-supported-signature");
        types.put(WebhookVerificationException.signatureMismatch(1, 2), "webhook-signature-mismatch");
        types.put(WebhookVerificationException.timestampTooOld(minute.multipliedBy(6), minute), "webhook-timestamp-too-old");
        types.put(WebhookVerificationException.timestampTooNew(minute.multipliedBy(6), minute), "webhook-timestamp-too-new");

        types.forEach((refusal, type) -> {
            Problem problem = WebhookProblems.unverified(refusal);
            assertEquals("urn:idempotency:problem:" + type, problem.type(), refusal.reason().toString());
            assertEquals(401, problem.status());
            assertEquals(refusal.getMessage() + " Nothing was processed.", problem.detail());
        });
    }

    @Test
    void aBodyOverTheLimitIsA413WithTheDeclaredLengthWhenThereWasOne() {
        assertDocument(WebhookProblems.bodyTooLarge(new RequestBodyTooLargeException(65536, 70000)),
                "{\"type\":\"urn:idempotency:problem:webhook-body-too-large\",\"title\":\"Webhook body too large\","
                        + "\"status\":413,\"detail\":\"The request body of 70000 bytes exceeds this endpoint's limit of "
                        + "65536 bytes, so it was not verified or processed.\",\"instance\":\"/webhooks/orders\"}", null);
        assertDocument(WebhookProblems.bodyTooLarge(new RequestBodyTooLargeException(65536, -1)),
                "{\"type\":\"urn:idempotency:problem:webhook-body-too-large\",\"title\":\"Webhook body too large\","
                        + "\"status\":413,\"detail\":\"The request body exceeds this endpoint's limit of 65536 bytes, so "
                        + "it was not verified or processed.\",\"instance\":\"/webhooks/orders\"}", null);
    }

    @Test
    void anIdReusedWithAnotherBodyIsA422NamingTheId() {
        assertDocument(WebhookProblems.idReused("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"),
                "{\"type\":\"urn:idempotency:problem:webhook-id-reused\",\"title\":\"webhook-id reused\",\"status\":422,"
                        + "\"detail\":\"The webhook-id msg_2KWPBgLlAfxdpx2AI54pPJ85f4W was already processed by this "
                        + "endpoint with a different body, so this body was not processed. A redelivery must carry the "
                        + "same body, byte for byte; a new event needs a new webhook-id.\",\"instance\":"
                        + "\"/webhooks/orders\"}", null);
    }

    @Test
    void anUnavailableInboxIsA503WithRetryAfter() {
        assertDocument(WebhookProblems.inboxUnavailable(WebhookReceiverFilter.UNAVAILABLE_RETRY_AFTER_SECONDS),
                "{\"type\":\"urn:idempotency:problem:webhook-inbox-unavailable\",\"title\":\"Service temporarily "
                        + "unavailable\",\"status\":503,\"detail\":\"The webhook was verified, but its delivery could not "
                        + "be recorded, so its effects were rolled back and nothing happened. Deliver it again (same "
                        + "webhook-id) after 5 second(s).\",\"instance\":\"/webhooks/orders\"}", "5");
    }

    @Test
    void aFailingInboxIsA500() {
        assertDocument(WebhookProblems.inboxFailure(),
                "{\"type\":\"urn:idempotency:problem:webhook-inbox-failure\",\"title\":\"Internal server error\","
                        + "\"status\":500,\"detail\":\"The webhook was verified, but its delivery could not be recorded, "
                        + "so its effects were rolled back and nothing happened. The receiver's log has the cause.\","
                        + "\"instance\":\"/webhooks/orders\"}", null);
    }

    @Test
    void aResponseOverTheLimitIsA500NamingTheLimit() {
        assertDocument(WebhookProblems.responseTooLarge(1048576),
                "{\"type\":\"urn:idempotency:problem:webhook-response-too-large\",\"title\":\"Response too large\","
                        + "\"status\":500,\"detail\":\"The handler's response exceeded the receiver's limit of 1048576 "
                        + "bytes, so its effects were rolled back and nothing happened. The receiver's limit needs "
                        + "raising.\",\"instance\":\"/webhooks/orders\"}", null);
    }

    private static void assertDocument(Problem problem, String json, String retryAfter) {
        assertEquals(json, new String(problem.toJson(INSTANCE), StandardCharsets.UTF_8));
        assertEquals(Optional.ofNullable(retryAfter), problem.retryAfterHeader());
    }
}
