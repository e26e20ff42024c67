/**
 * Signed webhooks as the Standard Webhooks specification (v1, symmetric) defines them: {@link
 * dev.idempotency.webhooks.WebhookSecret} and {@link dev.idempotency.webhooks.WebhookSigner} for senders,
 * {@link dev.idempotency.webhooks.WebhookPublisher} to deliver outbox messages as signed webhooks,
 * {@link dev.idempotency.webhooks.WebhookVerifier} for receivers, and
 * {@link dev.idempotency.webhooks.WebhookReceiverFilter}, which verifies and then applies each webhook id once
 * with the inbox. See {@code docs/webhooks.md} for the guarantees and their limits.
 */
package dev.idempotency.webhooks;
