/**
 * Implementation details of the JDBC store. Nothing in this package is API: it may change in any
 * release without notice.
 */
package dev.idempotency.jdbc.internal;
