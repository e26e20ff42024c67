/**
 * The Jakarta Servlet adapter: {@link dev.idempotency.servlet.IdempotencyFilter}, registered in front of
 * the endpoints it covers, {@link dev.idempotency.servlet.ScopeResolver}, which says whose key a request
 * carries, and {@link dev.idempotency.servlet.IdempotencyStoreListener}, which opens the JDBC store of a
 * {@code web.xml} application from its context parameters. Implementation details live in
 * {@code dev.idempotency.servlet.internal}, which is not API.
 */
package dev.idempotency.servlet;
