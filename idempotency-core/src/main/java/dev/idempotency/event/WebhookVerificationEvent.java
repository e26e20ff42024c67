package dev.idempotency.event;

import java.util.Objects;

/**
 * One webhook signature check. The webhook's id, body and secret are never carried.
 *
 * @param result {@code verified}, or the reason it was refused: a stable lower-case name from a closed set
 *     (the webhook module's refusal reasons), such as {@code signature_mismatch}
 */
public record WebhookVerificationEvent(String result) {

    /** The result of a webhook whose signature matched and whose timestamp was within the tolerance. */
    public static final String VERIFIED = "verified";

    /** Checks the result. */
    public WebhookVerificationEvent {
        Objects.requireNonNull(result, "result");
    }

    /** Whether the webhook was verified. */
    public boolean verified() {
        return VERIFIED.equals(result);
    }
}
