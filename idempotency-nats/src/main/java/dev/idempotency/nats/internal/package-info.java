/**
 * Implementation details of the NATS module. Nothing in this package is API: it may change in any release
 * without notice.
 */
package dev.idempotency.nats.internal;
