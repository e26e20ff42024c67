package dev.idempotency.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.internal.SqlDialect;
import dev.idempotency.testing.H2DatabaseExtension;
import dev.idempotency.testing.MariaDbDatabaseExtension;
import dev.idempotency.testing.PostgresDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The store's migrations live beside the application's own Flyway history without clashing, in either
 * order, and are published as plain SQL.
 */
class IdempotencySchemaTest {

    abstract static class Scenarios {

        protected abstract TestDatabase database();

        protected abstract DatabaseEngine engine();

        @Test
        void storeMigrationRecordsItselfInItsOwnHistoryTable() throws SQLException {
            JdbcIdempotencyStore.create(database().dataSource()).close();
            assertEquals(publishedVersions(engine()), appliedVersions(database().dataSource(), IdempotencySchema.HISTORY_TABLE));
        }

        @Test
        void appliedVersionIsZeroBeforeTheMigrationsAndTheLatestAfter() {
            DataSource ds = database().dataSource();
            assertEquals(0, IdempotencySchema.appliedVersion(ds));
            JdbcIdempotencyStore.create(ds).close();
            assertEquals(IdempotencySchema.LATEST_VERSION, IdempotencySchema.appliedVersion(ds));
            assertEquals(publishedVersions(engine()).size(), IdempotencySchema.LATEST_VERSION);
        }

        @Test
        void appliedVersionSaysWhenTheSchemaIsBehindTheLibrary() throws SQLException {
            DataSource ds = database().dataSource();
            JdbcIdempotencyStore.create(ds).close();
            try (Connection connection = ds.getConnection(); Statement statement = connection.createStatement()) {
                statement.executeUpdate(quoted(connection, "DELETE FROM \"" + IdempotencySchema.HISTORY_TABLE
                        + "\" WHERE \"version\" = '"
                        + IdempotencySchema.LATEST_VERSION + "'"));
            }
            assertEquals(IdempotencySchema.LATEST_VERSION - 1, IdempotencySchema.appliedVersion(ds));
        }

        @Test
        void applicationFlywayFirstThenTheStoreKeepBothHistories() throws SQLException {
            DataSource ds = database().dataSource();
            applicationFlyway(ds).load().migrate();
            JdbcIdempotencyStore.create(ds).close();
            applicationFlyway(ds).load().migrate();
            assertEquals(List.of("1"), appliedVersions(ds, "flyway_schema_history"));
            List<String> baselinedThenAll = new ArrayList<>(List.of("0"));
            baselinedThenAll.addAll(publishedVersions(engine()));
            assertEquals(baselinedThenAll, appliedVersions(ds, IdempotencySchema.HISTORY_TABLE),
                    "a schema with the application's tables is baselined at 0, so V1 still runs");
            assertEquals(0, count(ds, "SELECT count(*) FROM app_table"));
            assertEquals(0, count(ds, "SELECT count(*) FROM " + IdempotencySchema.TABLE));
        }

        @Test
        void storeFirstThenTheApplicationFlywayKeepBothHistories() throws SQLException {
            DataSource ds = database().dataSource();
            JdbcIdempotencyStore.create(ds).close();
            applicationFlyway(ds).baselineOnMigrate(true).baselineVersion("0").load().migrate();
            assertTrue(appliedVersions(ds, "flyway_schema_history").contains("1"));
            assertEquals(0, count(ds, "SELECT count(*) FROM app_table"));
        }

        @Test
        void migratingAgainChangesNothing() throws SQLException {
            DataSource ds = database().dataSource();
            IdempotencySchema.migrate(ds, engine());
            IdempotencySchema.migrate(ds, engine());
            assertEquals(publishedVersions(engine()), appliedVersions(ds, IdempotencySchema.HISTORY_TABLE));
        }

        @Test
        void storeWithoutMigrationUsesATableCreatedFromThePublishedSql() throws Exception {
            DataSource ds = database().dataSource();
            for (String resource : IdempotencySchema.sqlResources(engine())) {
                String sql;
                try (InputStream in = getClass().getClassLoader().getResourceAsStream(resource)) {
                    assertNotNull(in, "the plain SQL is published in the jar: " + resource);
                    sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                    for (String statement : withoutComments(sql).split(";")) {
                        if (!statement.isBlank()) {
                            st.execute(statement);
                        }
                    }
                }
            }
            try (JdbcIdempotencyStore store = JdbcIdempotencyStore.builder().dataSource(ds).migrate(false).build()) {
                assertEquals(engine(), store.engine());
            }
            assertEquals(0, count(ds, "SELECT count(*) FROM " + IdempotencySchema.TABLE));
        }

        @Test
        void anInboxMarkerWrittenBeforeTheDigestColumnSurvivesTheUpgradeAndStillDeduplicates() throws Exception {
            DataSource ds = database().dataSource();
            Flyway.configure(IdempotencySchema.class.getClassLoader()).dataSource(ds)
                    .table(IdempotencySchema.HISTORY_TABLE).locations("classpath:" + engine().schemaLocation())
                    .target("4").load().migrate();
            try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("INSERT INTO "
                    + JdbcInbox.TABLE + " (consumer, message_id, processed_at, expires_at) VALUES ('billing', 'evt_1', ?, ?)")) {
                ps.setObject(1, time(Instant.parse("2030-01-01T00:00:00Z")));
                ps.setObject(2, time(Instant.parse("2200-01-01T00:00:00Z")));
                ps.executeUpdate();
            }
            try (JdbcInbox inbox = JdbcInbox.builder().dataSource(ds).purgeInterval(Duration.ZERO).build()) {
                assertEquals(publishedVersions(engine()), appliedVersions(ds, IdempotencySchema.HISTORY_TABLE));
                assertTrue(inbox.process("billing", "evt_1", "any payload".getBytes(StandardCharsets.UTF_8), () -> {
                    throw new AssertionError("a marker from before the upgrade must still deduplicate");
                }).duplicate());
            }
            assertEquals(1, count(ds, "SELECT count(*) FROM " + JdbcInbox.TABLE + " WHERE payload_sha256 IS NULL"),
                    "the old marker keeps no digest");
        }

        @Test
        void everyMigrationFileIsListedForUsersWhoApplyThemThemselves() throws Exception {
            java.net.URL folder = getClass().getClassLoader().getResource(engine().schemaLocation());
            assertNotNull(folder);
            List<String> files;
            try (Stream<java.nio.file.Path> listing = java.nio.file.Files.list(java.nio.file.Path.of(folder.toURI()))) {
                files = listing.map(p -> engine().schemaLocation() + "/" + p.getFileName()).sorted().toList();
            }
            assertEquals(files, IdempotencySchema.sqlResources(engine()));
        }

        /** A point in time as the store passes it to this engine's time columns. */
        private Object time(Instant instant) {
            return SqlDialect.of(engine(), 0).times().parameter(instant);
        }

        private static String withoutComments(String sql) {
            StringBuilder out = new StringBuilder();
            for (String line : sql.split("\n")) {
                if (!line.trim().startsWith("--")) {
                    out.append(line).append('\n');
                }
            }
            return out.toString();
        }

        private static org.flywaydb.core.api.configuration.FluentConfiguration applicationFlyway(DataSource ds) {
            return Flyway.configure().dataSource(ds).locations("classpath:app-migrations");
        }
    }

    /** The versions of the published migration files, in order: "1", "2", ... */
    static List<String> publishedVersions(DatabaseEngine engine) {
        return IdempotencySchema.sqlResources(engine).stream()
                .map(resource -> resource.substring(resource.lastIndexOf("/V") + 2, resource.indexOf("__")))
                .toList();
    }

    /** Versions applied, without Flyway's own bookkeeping rows (schema creation has no version). */
    static List<String> appliedVersions(DataSource ds, String historyTable) throws SQLException {
        List<String> versions = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(quoted(c, "SELECT \"version\" FROM \"" + historyTable
                        + "\" WHERE \"success\" AND \"version\" IS NOT NULL ORDER BY \"installed_rank\""))) {
            while (rs.next()) {
                versions.add(rs.getString(1));
            }
        }
        return versions;
    }

    /** {@code sql} with its double-quoted names quoted as the engine quotes them (MariaDB: backticks). */
    static String quoted(Connection connection, String sql) throws SQLException {
        return sql.replace("\"", connection.getMetaData().getIdentifierQuoteString().strip());
    }

    static int count(DataSource ds, String sql) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Nested
    class OnH2 extends Scenarios {

        @RegisterExtension
        final H2DatabaseExtension db = H2DatabaseExtension.create();

        @Override
        protected TestDatabase database() {
            return db;
        }

        @Override
        protected DatabaseEngine engine() {
            return DatabaseEngine.H2;
        }
    }

    @Nested
    class OnPostgres extends Scenarios {

        @RegisterExtension
        final PostgresDatabaseExtension db = PostgresDatabaseExtension.create();

        @Override
        protected TestDatabase database() {
            return db;
        }

        @Override
        protected DatabaseEngine engine() {
            return DatabaseEngine.POSTGRESQL;
        }
    }

    @Nested
    class OnMariaDb extends Scenarios {

        @RegisterExtension
        final MariaDbDatabaseExtension db = MariaDbDatabaseExtension.create();

        @Override
        protected TestDatabase database() {
            return db;
        }

        @Override
        protected DatabaseEngine engine() {
            return DatabaseEngine.MARIADB;
        }
    }
}
