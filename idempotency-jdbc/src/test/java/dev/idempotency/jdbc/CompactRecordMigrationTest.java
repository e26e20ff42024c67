package dev.idempotency.jdbc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.Header;
import dev.idempotency.IdempotencyKey;
import dev.idempotency.RequestFingerprint;
import dev.idempotency.StoredResponse;
import dev.idempotency.jdbc.internal.HeaderCodec;
import dev.idempotency.jdbc.internal.SqlDialect;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.RecordKey;
import dev.idempotency.spi.StoredRecord;
import dev.idempotency.testing.H2DatabaseExtension;
import dev.idempotency.testing.MariaDbDatabaseExtension;
import dev.idempotency.testing.PostgresDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The migration V6 (the digest as primary key, the outcome in one column) keeps every record the previous
 * release stored and answers for each exactly as that release did. The table is filled at version 5 with the
 * rows the previous release wrote, column by column (its headers as {@link HeaderCodec}'s JSON, as it encoded
 * them), then the store migrates it on start-up and is asked about each key.
 */
class CompactRecordMigrationTest {

    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00.123456Z");
    private static final Instant LATER = NOW.plus(Duration.ofDays(1));
    private static final String SCOPE = "header:x-client-id:" + "9f2c".repeat(16);
    private static final RequestFingerprint FINGERPRINT = RequestFingerprint.of("POST", "/posts", null,
            "application/json", "{\"content\":\"hello\"}".getBytes(StandardCharsets.UTF_8));
    private static final RequestFingerprint OTHER = RequestFingerprint.of("POST", "/posts", null,
            "application/json", "{\"content\":\"other\"}".getBytes(StandardCharsets.UTF_8));
    private static final List<Header> HEADERS = List.of(new Header("Content-Type", "application/json"),
            new Header("Location", "/posts/1"), new Header("X-Note", "caf\u00e9 \u2713"), new Header("x-note", "two"),
            new Header("Link", "</posts/1>; rel=\"self\""));
    /** Zero bytes and bytes that are not UTF-8: a body is bytes, whatever its content type says. */
    private static final byte[] BODY = {'{', 0, 1, (byte) 0xFF, (byte) 0xC3, '}', 0};

    abstract static class Scenarios {

        protected abstract TestDatabase database();

        protected abstract DatabaseEngine engine();

        @Test
        void everyRecordStoredByThePreviousReleaseIsAnsweredAsBefore() throws SQLException {
            DataSource ds = database().dataSource();
            migrateTo(ds, "5");
            insertV5(ds, SCOPE, "k-completed", FINGERPRINT, "COMPLETED", 201, HeaderCodec.encode(HEADERS), BODY,
                    LATER, null, 42);
            insertV5(ds, SCOPE, "k-empty", FINGERPRINT, "COMPLETED", 204, HeaderCodec.encode(List.of()), new byte[0],
                    LATER, null, 43);
            insertV5(ds, SCOPE, "k-leased", FINGERPRINT, "IN_PROGRESS", null, null, null, LATER,
                    Instant.now().plus(Duration.ofHours(1)), 77);
            insertV5(ds, SCOPE, "k-expired", FINGERPRINT, "COMPLETED", 200, HeaderCodec.encode(HEADERS), BODY,
                    NOW.minusSeconds(1), null, 44);
            insertV5(ds, "user:Zo\u00eb \u00fc\u4e2d", "k-completed", OTHER, "COMPLETED", 202,
                    HeaderCodec.encode(List.of(new Header("Content-Type", "text/plain"))),
                    "another scope".getBytes(StandardCharsets.UTF_8), LATER, null, 45);
            assertEquals(5, count(ds));

            try (JdbcIdempotencyStore store = JdbcIdempotencyStore.builder().dataSource(ds)
                    .purgeInterval(Duration.ZERO).build()) {
                assertEquals(IdempotencySchema.LATEST_VERSION, IdempotencySchema.appliedVersion(ds));
                assertEquals(5, count(ds), "no record is lost");

                StoredRecord completed = existing(store, SCOPE, "k-completed", FINGERPRINT);
                assertEquals(FINGERPRINT, completed.fingerprint());
                assertEquals(201, completed.response().status());
                assertEquals(HEADERS, completed.response().headers(), "order, repeats, case and characters kept");
                assertArrayEquals(BODY, completed.response().body());
                assertEquals(NOW, completed.createdAt());
                assertEquals(LATER, completed.expiresAt());

                StoredRecord empty = existing(store, SCOPE, "k-empty", FINGERPRINT);
                assertEquals(204, empty.response().status());
                assertEquals(List.of(), empty.response().headers());
                assertArrayEquals(new byte[0], empty.response().body());

                // A different request under a stored key gets the stored record, whose fingerprint then refuses it (422).
                assertEquals(FINGERPRINT, existing(store, SCOPE, "k-completed", OTHER).fingerprint());

                StoredRecord otherScope = existing(store, "user:Zo\u00eb \u00fc\u4e2d", "k-completed", OTHER);
                assertEquals(202, otherScope.response().status());
                assertEquals("another scope", new String(otherScope.response().body(), StandardCharsets.UTF_8));

                ClaimResult leased = store.claim(ClaimRequest.lease(key(SCOPE, "k-leased"), FINGERPRINT, NOW, LATER,
                        Duration.ofMinutes(1)));
                ClaimResult.Busy busy = assertInstanceOf(ClaimResult.Busy.class, leased, "a live lease stays held");
                assertEquals(FINGERPRINT, busy.holderFingerprint().orElseThrow());

                ClaimResult expired = store.claim(new ClaimRequest(key(SCOPE, "k-expired"), FINGERPRINT, NOW, LATER));
                try (Claim claim = assertInstanceOf(ClaimResult.Acquired.class, expired,
                        "an expired record is taken over").claim()) {
                    assertTrue(claim.fencingToken() > 44, "the fencing token keeps growing across the migration");
                    claim.complete(StoredResponse.of(201, HEADERS, BODY), LATER);
                }
                StoredRecord rewritten = existing(store, SCOPE, "k-expired", FINGERPRINT);
                assertEquals(HEADERS, rewritten.response().headers());
                assertArrayEquals(BODY, rewritten.response().body());

                ClaimResult fresh = store.claim(new ClaimRequest(key(SCOPE, "k-new"), FINGERPRINT, NOW, LATER));
                try (Claim claim = assertInstanceOf(ClaimResult.Acquired.class, fresh).claim()) {
                    claim.complete(StoredResponse.of(201, List.of(), BODY), LATER);
                }
                assertEquals(6, count(ds));
            }
        }

        /** The SQL of docs/operations.md that finds a record by its scope and key, on each engine. */
        @Test
        void aRecordIsFoundByHandFromItsScopeAndKey() throws SQLException {
            DataSource ds = database().dataSource();
            String scope = "user:Zo\u00eb";
            try (JdbcIdempotencyStore store = JdbcIdempotencyStore.builder().dataSource(ds)
                    .purgeInterval(Duration.ZERO).build()) {
                ClaimResult result = store.claim(new ClaimRequest(key(scope, "order-17"), FINGERPRINT, NOW, LATER));
                try (Claim claim = assertInstanceOf(ClaimResult.Acquired.class, result).claim()) {
                    claim.complete(StoredResponse.of(201, HEADERS, BODY), LATER);
                }
            }
            String digest = switch (engine()) {
                case POSTGRESQL -> "CAST(encode(substr(sha256(convert_to(?, 'UTF8') || decode('00', 'hex') || convert_to(?, 'UTF8')), 1, 16), 'hex') AS uuid)";
                case H2 -> "CAST(HASH('SHA-256', CAST(? AS VARBINARY) || X'00' || CAST(? AS VARBINARY)) AS BINARY(16))";
                case MARIADB, MYSQL -> "UNHEX(LEFT(SHA2(CONCAT(?, 0x00, ?), 256), 32))";
            };
            try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                    "SELECT response_status, idempotency_key FROM idempotency_record WHERE key_digest = " + digest)) {
                ps.setString(1, scope);
                ps.setString(2, "order-17");
                try (ResultSet rs = ps.executeQuery()) {
                    assertTrue(rs.next(), "the record is found by the digest computed in SQL");
                    assertEquals(201, rs.getInt(1));
                    assertEquals("order-17", rs.getString(2));
                }
            }
        }

        private static StoredRecord existing(JdbcIdempotencyStore store, String scope, String key,
                RequestFingerprint fingerprint) {
            ClaimResult result = store.claim(new ClaimRequest(key(scope, key), fingerprint, NOW, LATER));
            return assertInstanceOf(ClaimResult.Existing.class, result, scope + "/" + key + " is stored").record();
        }

        private void migrateTo(DataSource ds, String version) {
            Flyway.configure(IdempotencySchema.class.getClassLoader()).dataSource(ds)
                    .table(IdempotencySchema.HISTORY_TABLE).locations("classpath:" + engine().schemaLocation())
                    .target(version).load().migrate();
        }

        /** A row as the previous release's store wrote it. */
        private void insertV5(DataSource ds, String scope, String key, RequestFingerprint fingerprint, String state,
                Integer status, String headers, byte[] body, Instant expiresAt, Instant leaseExpiresAt, long token)
                throws SQLException {
            try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("INSERT INTO "
                    + IdempotencySchema.TABLE + " (scope, idempotency_key, fingerprint_version, fingerprint, state, "
                    + "response_status, response_headers, response_body, created_at, expires_at, lease_expires_at, "
                    + "fencing_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, scope);
                ps.setString(2, key);
                ps.setInt(3, fingerprint.version());
                ps.setBytes(4, fingerprint.digest());
                ps.setString(5, state);
                ps.setObject(6, status);
                ps.setString(7, headers);
                ps.setBytes(8, body);
                ps.setObject(9, time(NOW));
                ps.setObject(10, time(expiresAt));
                ps.setObject(11, leaseExpiresAt == null ? null : time(leaseExpiresAt));
                ps.setLong(12, token);
                ps.executeUpdate();
            }
        }

        /** A point in time as the store passes it to this engine's time columns. */
        private Object time(Instant instant) {
            return SqlDialect.of(engine(), 0).times().parameter(instant.truncatedTo(ChronoUnit.MICROS));
        }

        private static RecordKey key(String scope, String key) {
            return new RecordKey(scope, IdempotencyKey.of(key));
        }

        private static int count(DataSource ds) throws SQLException {
            try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                    "SELECT count(*) FROM " + IdempotencySchema.TABLE); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
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
