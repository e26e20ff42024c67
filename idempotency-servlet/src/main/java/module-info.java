/**
 * The servlet adapter: {@code IdempotencyFilter}, its scope resolvers, {@code CapturedExchange} (the one path
 * by which a filter reads the body, holds the handler's response until it has decided, and sends the
 * answer), and the listener that opens a JDBC store for a {@code web.xml} application. The listener needs
 * {@code dev.idempotency.jdbc}, which is optional: an application that builds its store in code does not need
 * it here. The internal package is exported to no module.
 */
module dev.idempotency.servlet {
    requires transitive dev.idempotency.core;
    requires transitive jakarta.servlet;
    requires static dev.idempotency.jdbc;

    exports dev.idempotency.servlet;
}
