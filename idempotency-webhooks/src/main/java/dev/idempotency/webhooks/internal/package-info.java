/**
 * Implementation details of the webhooks module. Nothing in this package is API: it may change in any
 * release without notice.
 */
package dev.idempotency.webhooks.internal;
