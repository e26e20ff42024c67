package dev.idempotency.jdbc;

import dev.idempotency.spi.StoreException;
import java.util.Locale;

/** The databases the JDBC store supports. */
public enum DatabaseEngine {

    /** PostgreSQL 12 or later: the production engine, shared by many application instances. */
    POSTGRESQL("postgresql"),

    /**
     * MariaDB 10.6 or later, with InnoDB tables. Its migrations are MySQL's: {@code dev/idempotency/jdbc/schema/mysql}.
     */
    MARIADB("mysql"),

    /** MySQL 8.0.1 or later, with InnoDB tables. */
    MYSQL("mysql"),

    /** H2 2.x: the embedded default, for development and single-instance deployments. */
    H2("h2");

    private final String folder;

    DatabaseEngine(String folder) {
        this.folder = folder;
    }

    /**
     * The classpath folder of this engine's migrations, such as
     * {@code dev/idempotency/jdbc/schema/postgresql}: plain SQL files for users who manage their schema
     * themselves. MariaDB and MySQL share {@code dev/idempotency/jdbc/schema/mysql}.
     */
    public String schemaLocation() {
        return "dev/idempotency/jdbc/schema/" + folder;
    }

    /**
     * The engine behind a JDBC {@code DatabaseMetaData.getDatabaseProductName()}. MySQL Connector/J calls a
     * MariaDB server "MySQL": where the driver may be either, the store asks the server for its version too
     * ({@code SELECT VERSION()}, which says "MariaDB" on MariaDB).
     *
     * @throws StoreException for a database this library does not support
     */
    public static DatabaseEngine fromProductName(String productName) {
        String name = productName == null ? "" : productName.toLowerCase(Locale.ROOT);
        if (name.contains("postgresql")) {
            return POSTGRESQL;
        }
        if (name.equals("h2")) {
            return H2;
        }
        if (name.contains("mariadb")) {
            return MARIADB;
        }
        if (name.contains("mysql")) {
            return MYSQL;
        }
        throw new StoreException("Unsupported database '" + productName + "': the JDBC idempotency store "
                + "supports PostgreSQL, MariaDB, MySQL and H2");
    }
}
