/**
 * An application that uses the library as named modules: the filter and the JDBC store on the module path,
 * reached only through what their modules export.
 */
module dev.idempotency.it.modular {
    requires dev.idempotency.servlet;
    requires dev.idempotency.jdbc;
    requires org.eclipse.jetty.server;
    requires org.eclipse.jetty.ee10.servlet;
    requires java.net.http;
}
