/**
 * Implementation details of the servlet filter and {@code CapturedExchange}. Nothing in this package is API:
 * the module exports it to no one, and it may change in any release without notice.
 */
package dev.idempotency.servlet.internal;
