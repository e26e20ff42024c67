/**
 * Standard Webhooks: the signer and verifier, the outbox publisher, and the receiver filter that applies each
 * webhook once through the inbox.
 */
module dev.idempotency.webhooks {
    requires transitive dev.idempotency.core;
    requires transitive dev.idempotency.servlet;
    requires transitive dev.idempotency.jdbc;
    requires com.fasterxml.jackson.core;
    requires transitive java.net.http;

    exports dev.idempotency.webhooks;
}
