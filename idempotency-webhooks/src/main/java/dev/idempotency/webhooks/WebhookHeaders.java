package dev.idempotency.webhooks;

/**
 * The names of the three Standard Webhooks request headers. HTTP field names are case-insensitive; these are
 * the lower-case spellings the specification uses.
 */
public final class WebhookHeaders {

    /** The webhook's identifier: the same on every delivery attempt of one message, the receiver's dedup key. */
    public static final String ID = "webhook-id";

    /** The time of the delivery attempt, in whole seconds since the Unix epoch; new on every attempt. */
    public static final String TIMESTAMP = "webhook-timestamp";

    /** One or more space-separated signatures, each {@code <version>,<base64>}, such as {@code v1,K5oZ...=}. */
    public static final String SIGNATURE = "webhook-signature";

    private WebhookHeaders() {
    }
}
