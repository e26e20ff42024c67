/**
 * The Jakarta Servlet adapter: {@link dev.idempotency.servlet.IdempotencyFilter}, registered in front of
 * the endpoints it covers, and {@link dev.idempotency.servlet.ScopeResolver}, which says whose key a request
 * carries. Implementation details live in {@code dev.idempotency.servlet.internal}, which is not API.
 */
package dev.idempotency.servlet;
