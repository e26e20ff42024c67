/**
 * Implementation details of the idempotency library. Nothing in this package is API: it may change in
 * any release without notice. Other modules of this library use it; applications should not.
 */
package dev.idempotency.internal;
