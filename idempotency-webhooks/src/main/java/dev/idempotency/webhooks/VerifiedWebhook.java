package dev.idempotency.webhooks;

import java.time.Instant;
import java.util.Objects;

/**
 * A webhook whose signature matched one of the receiver's secrets and whose timestamp was within tolerance.
 *
 * @param id the {@value WebhookHeaders#ID}: the message's stable identity, to deduplicate on
 * @param timestamp the {@value WebhookHeaders#TIMESTAMP} of this delivery attempt
 */
public record VerifiedWebhook(String id, Instant timestamp) {

    /** Checks that no component is missing. */
    public VerifiedWebhook {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(timestamp, "timestamp");
    }
}
