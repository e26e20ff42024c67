/**
 * The JDBC store, inbox and outbox, on PostgreSQL, MariaDB, MySQL and H2, with their Flyway migrations.
 *
 * <p>The migration folders are opened so that Flyway, which reads them as class-path resources, can list
 * and read them. JDBC drivers are found through {@link java.util.ServiceLoader}, with the application's
 * class loader. Flyway is not a named module yet and is required by its automatic name.
 */
@SuppressWarnings("requires-automatic")
module dev.idempotency.jdbc {
    requires transitive dev.idempotency.core;
    requires transitive java.sql;
    requires com.fasterxml.jackson.core;
    requires com.zaxxer.hikari;
    requires flyway.core;
    requires flyway.database.postgresql;
    requires flyway.mysql;
    requires java.naming;

    uses java.sql.Driver;

    exports dev.idempotency.jdbc;
    exports dev.idempotency.jdbc.inbox;
    exports dev.idempotency.jdbc.outbox;

    opens dev.idempotency.jdbc.schema.h2;
    opens dev.idempotency.jdbc.schema.mysql;
    opens dev.idempotency.jdbc.schema.postgresql;
}
