package dev.idempotency.jdbc;

import dev.idempotency.jdbc.internal.RedactedThrowable;
import dev.idempotency.spi.StoreException;
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
            "V3__inbox.sql", "V4__outbox.sql", "V5__inbox_payload_digest.sql");

    private IdempotencySchema() {
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
