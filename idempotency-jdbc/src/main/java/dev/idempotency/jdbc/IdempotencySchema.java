package dev.idempotency.jdbc;

import dev.idempotency.jdbc.internal.RedactedThrowable;
import dev.idempotency.jdbc.internal.SqlErrors;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

/**
 * The store's table, created and upgraded by Flyway with a history table of its own,
 * {@value #HISTORY_TABLE}, so it never meets the application's own Flyway history. The migrations are
 * plain SQL files under {@link DatabaseEngine#schemaLocation()} in this jar, for users who manage their
 * schema with another tool: run {@link #sqlResources} in order, and turn {@code migrate} off in the store
 * builder.
 */
public final class IdempotencySchema {

    /** The table holding idempotency records. */
    public static final String TABLE = "idempotency_record";

    /** The Flyway history table of this library's migrations. */
    public static final String HISTORY_TABLE = "idempotency_schema_history";

    /** The migration files of each engine's folder, in the order they must run. */
    private static final List<String> SCRIPTS = List.of("V1__create_idempotency_record.sql", "V2__lease_mode.sql",
            "V3__inbox.sql", "V4__outbox.sql", "V5__inbox_payload_digest.sql", "V6__compact_record.sql");

    /** The version of the last migration this release ships: a database at a lower one is behind the library. */
    public static final int LATEST_VERSION = SCRIPTS.size();

    private IdempotencySchema() {
    }

    /**
     * The version of the library's last migration applied to the DataSource's default schema, read from
     * {@value #HISTORY_TABLE}: {@link #LATEST_VERSION} when up to date, lower when the schema is behind this
     * release, 0 when none was applied (the history table is missing, as when the schema is managed by hand and
     * never recorded). For health checks; it also proves the database answers.
     *
     * @throws StoreUnavailableException if the database cannot be reached
     * @throws StoreException if it failed otherwise
     */
    public static int appliedVersion(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource");
        try (Connection connection = dataSource.getConnection()) {
            try (ResultSet tables = connection.getMetaData().getTables(null, null, null, new String[] {"TABLE"})) {
                boolean found = false;
                while (tables.next() && !found) {
                    found = HISTORY_TABLE.equalsIgnoreCase(tables.getString("TABLE_NAME"))
                            && isCurrentSchema(connection, tables.getString("TABLE_SCHEM"));
                }
                if (!found) {
                    return 0;
                }
            }
            // Versions are text in Flyway's table ("0" is the baseline); compared as numbers here, not as text.
            // Quoted: Flyway creates its table and columns in lower case on H2 as well. With the engine's own
            // quote: MariaDB and MySQL quote names with backticks.
            String q = connection.getMetaData().getIdentifierQuoteString().strip();
            int applied = 0;
            try (Statement statement = connection.createStatement();
                    ResultSet versions = statement.executeQuery("SELECT " + q + "version" + q + " FROM " + q
                            + HISTORY_TABLE + q + " WHERE " + q + "success" + q + " AND " + q + "version" + q
                            + " IS NOT NULL")) {
                while (versions.next()) {
                    try {
                        applied = Math.max(applied, Integer.parseInt(versions.getString(1).trim()));
                    } catch (NumberFormatException e) {
                        // Not one of this library's versions (1, 2, 3...): ignore it.
                    }
                }
            }
            return applied;
        } catch (SQLException e) {
            throw SqlErrors.translate("reading the idempotency schema version", e);
        }
    }

    private static boolean isCurrentSchema(Connection connection, String schema) throws SQLException {
        String current = connection.getSchema();
        return schema == null || current == null || schema.equalsIgnoreCase(current);
    }

    /**
     * The classpath resources of {@code engine}'s migrations, in the order they must run, for users who
     * apply them with their own tool: for example
     * {@code dev/idempotency/jdbc/schema/postgresql/V1__create_idempotency_record.sql}.
     */
    public static List<String> sqlResources(DatabaseEngine engine) {
        Objects.requireNonNull(engine, "engine");
        return SCRIPTS.stream().map(script -> engine.schemaLocation() + "/" + script).toList();
    }

    /**
     * Creates or upgrades the table in the DataSource's default schema. Safe to run from many
     * application instances at once: Flyway serialises them with a database lock.
     *
     * @throws StoreException if the migration fails
     */
    public static void migrate(DataSource dataSource, DatabaseEngine engine) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(engine, "engine");
        try {
            Flyway.configure(IdempotencySchema.class.getClassLoader())
                    .dataSource(dataSource)
                    .table(HISTORY_TABLE)
                    .locations("classpath:" + engine.schemaLocation())
                    // The schema usually holds the application's tables already; version 0 as the
                    // baseline lets our V1 still run there.
                    .baselineOnMigrate(true)
                    .baselineVersion("0")
                    .cleanDisabled(true)
                    .load()
                    .migrate();
        } catch (FlywayException e) {
            // Flyway may describe the database by its URL.
            throw new StoreException(Redaction.redact("Could not create or upgrade the idempotency table " + TABLE
                    + " (" + engine + "): " + e.getMessage()), RedactedThrowable.redactedCause(e, Set.of()));
        }
    }
}
