/**
 * Standard Webhooks: the signer and verifier, the outbox publisher, and the receiver filter that applies each
 * webhook once through the inbox.
 *
 * <p>Signing and verifying ({@code WebhookSecret}, {@code WebhookSigner}, {@code WebhookVerifier} and their
 * types) need only the core. The publisher needs {@code dev.idempotency.jdbc} (its outbox), and the receiver
 * filter needs {@code dev.idempotency.jdbc} (its inbox) and {@code dev.idempotency.servlet}: both are static
 * dependences, present when the application has them, and read by every module that reads this one.
 */
module dev.idempotency.webhooks {
    requires transitive dev.idempotency.core;
    requires transitive java.net.http;
    requires static transitive dev.idempotency.jdbc;
    requires static transitive dev.idempotency.servlet;
    // Read even without dev.idempotency.servlet, so that the receiver can say that it is missing.
    requires static jakarta.servlet;

    exports dev.idempotency.webhooks;
}
