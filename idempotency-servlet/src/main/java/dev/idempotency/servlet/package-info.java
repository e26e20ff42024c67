/**
 * The Jakarta Servlet adapter: {@link dev.idempotency.servlet.IdempotencyFilter}, registered in front of
 * the endpoints it covers, {@link dev.idempotency.servlet.ScopeResolver}, which says whose key a request
 * carries, {@link dev.idempotency.servlet.IdempotencyStoreListener}, which opens the JDBC store of a
 * {@code web.xml} application from its context parameters, and
 * {@link dev.idempotency.servlet.CapturedExchange}, the path by which the filter (and the webhook receiver)
 * reads a request's body, holds the handler's response in memory until it has decided, and sends the answer. Implementation details live in
 * {@code dev.idempotency.servlet.internal}, which is not API.
 */
package dev.idempotency.servlet;
