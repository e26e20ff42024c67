package dev.idempotency.webhooks;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.WebhookVerificationEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Every signature check is reported once, by result, and carries nothing of the webhook. */
class VerificationEventsTest {

    private final WebhookSecret secret = WebhookSecret.generate();
    private final List<WebhookVerificationEvent> events = new CopyOnWriteArrayList<>();
    private final WebhookVerifier verifier = WebhookVerifier.builder().secrets(secret)
            .listener(new IdempotencyListener() {
                @Override
                public void onWebhookVerification(WebhookVerificationEvent event) {
                    events.add(event);
                }
            }).build();

    @Test
    void aVerifiedWebhookAndEachRefusalAreReportedByResult() {
        byte[] body = "{\"payment\":\"pay-1\"}".getBytes(UTF_8);
        SignedWebhook signed = WebhookSigner.create(secret).sign("msg_1", body);
        verifier.verify(signed.id(), Long.toString(signed.timestamp()), signed.signature(), body);

        SignedWebhook forged = WebhookSigner.create(WebhookSecret.generate()).sign("msg_2", body);
        assertThrows(WebhookVerificationException.class, () -> verifier.verify(forged.id(),
                Long.toString(forged.timestamp()), forged.signature(), body));
        assertThrows(WebhookVerificationException.class, () -> verifier.verify(null,
                Long.toString(signed.timestamp()), signed.signature(), body));

        assertEquals(List.of("verified", "signature_mismatch", "missing_header"),
                events.stream().map(WebhookVerificationEvent::result).toList());
        for (WebhookVerificationEvent event : events) {
            assertFalse(event.toString().contains("msg_") || event.toString().contains("pay-1"), event.toString());
        }
    }

    @Test
    void aListenerThatThrowsChangesNoVerdict() {
        WebhookVerifier broken = WebhookVerifier.builder().secrets(secret).listener(new IdempotencyListener() {
            @Override
            public void onWebhookVerification(WebhookVerificationEvent event) {
                throw new IllegalStateException("listener broken");
            }
        }).build();
        byte[] body = "{}".getBytes(UTF_8);
        SignedWebhook signed = WebhookSigner.create(secret).sign("msg_3", body);

        assertEquals("msg_3", broken.verify(signed.id(), Long.toString(signed.timestamp()), signed.signature(), body)
                .id());
    }
}
