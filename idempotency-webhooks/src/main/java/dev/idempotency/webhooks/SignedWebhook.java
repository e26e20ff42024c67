package dev.idempotency.webhooks;

import dev.idempotency.Header;
import java.util.List;
import java.util.Objects;

/**
 * The three headers that make one delivery attempt of a webhook verifiable, as produced by
 * {@link WebhookSigner}.
 *
 * @param id the {@value WebhookHeaders#ID} value
 * @param timestamp the {@value WebhookHeaders#TIMESTAMP} value, in whole seconds since the Unix epoch
 * @param signature the {@value WebhookHeaders#SIGNATURE} value: one {@code v1,<base64>} signature per secret,
 *     separated by single spaces
 */
public record SignedWebhook(String id, long timestamp, String signature) {

    /** Checks that no component is missing. */
    public SignedWebhook {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(signature, "signature");
    }

    /** The three headers, in the order id, timestamp, signature. */
    public List<Header> headers() {
        return List.of(new Header(WebhookHeaders.ID, id),
                new Header(WebhookHeaders.TIMESTAMP, Long.toString(timestamp)),
                new Header(WebhookHeaders.SIGNATURE, signature));
    }
}
