package dev.idempotency.jdbc.internal;

import dev.idempotency.IdempotencyConfigException;
import java.util.Locale;
import java.util.Map;

/**
 * Refuses, from its URL alone and before a pool is built, a JDBC URL of a database the store does not support.
 *
 * <p>Only schemes known to name another engine are refused here. An unknown scheme may be a wrapper around a
 * supported driver (a tracing or pooling proxy, say), so it goes on to the driver and is judged after
 * connecting, by the product name the database gives ({@code DatabaseEngine.fromProductName}).
 */
public final class JdbcUrlSchemes {

    /** What the store supports, by URL scheme, as messages list it. */
    public static final String SUPPORTED = "PostgreSQL (jdbc:postgresql:), MariaDB (jdbc:mariadb:), "
            + "MySQL (jdbc:mysql:) and H2 (jdbc:h2:)";

    /** Schemes of engines the store does not support, and the engine each names. */
    private static final Map<String, String> UNSUPPORTED = Map.ofEntries(
            Map.entry("sqlserver", "Microsoft SQL Server"),
            Map.entry("jtds", "SQL Server or Sybase (jTDS)"),
            Map.entry("sybase", "Sybase"),
            Map.entry("oracle", "Oracle Database"),
            Map.entry("db2", "IBM Db2"),
            Map.entry("as400", "IBM Db2 for i"),
            Map.entry("informix-sqli", "Informix"),
            Map.entry("sqlite", "SQLite"),
            Map.entry("derby", "Apache Derby"),
            Map.entry("hsqldb", "HyperSQL"),
            Map.entry("firebirdsql", "Firebird"),
            Map.entry("firebird", "Firebird"),
            Map.entry("sap", "SAP HANA"),
            Map.entry("snowflake", "Snowflake"),
            Map.entry("redshift", "Amazon Redshift"),
            Map.entry("clickhouse", "ClickHouse"),
            Map.entry("duckdb", "DuckDB"),
            Map.entry("trino", "Trino"),
            Map.entry("presto", "Presto"),
            Map.entry("teradata", "Teradata"),
            Map.entry("vertica", "Vertica"),
            Map.entry("databricks", "Databricks"));

    private JdbcUrlSchemes() {
    }

    /**
     * Throws if {@code jdbcUrl}'s scheme names an engine the store does not support. The message shows the
     * scheme only, never the rest of the URL, which may carry a user and a password.
     *
     * @param setting the setting the URL was given as, such as {@code jdbcUrl}
     * @throws IdempotencyConfigException naming {@code setting}, the scheme, and the engines supported
     */
    public static void requireSupported(String setting, String jdbcUrl) {
        String scheme = scheme(jdbcUrl);
        String engine = UNSUPPORTED.get(scheme.toLowerCase(Locale.ROOT));
        if (engine != null) {
            throw IdempotencyConfigException.invalid(setting, "jdbc:" + scheme + ":", "the URL of a database the "
                    + "store supports, " + SUPPORTED + "; " + engine + " is not one of them");
        }
    }

    /** The part of a {@code jdbc:} URL between the first two colons, such as {@code sqlserver}. */
    private static String scheme(String jdbcUrl) {
        int end = jdbcUrl.indexOf(':', "jdbc:".length());
        return end < 0 ? jdbcUrl.substring("jdbc:".length()) : jdbcUrl.substring("jdbc:".length(), end);
    }
}
