package dev.idempotency.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.StoredResponse;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.RecordKey;
import dev.idempotency.spi.StoreException;
import dev.idempotency.testing.MariaDbDatabaseExtension;
import dev.idempotency.testing.StoreTestValues;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.TimeZone;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The traps of MariaDB and MySQL that the store is built around, each shown on the server and then shown not
 * to reach the store, through both drivers. The contract suite on pools that count affected rows and on a
 * session time zone far from UTC is in {@link MariaDbIdempotencyStoreContractTest}.
 */
class MariaDbTrapsTest {

    @RegisterExtension
    static final MariaDbDatabaseExtension MARIADB_DRIVER = MariaDbDatabaseExtension.create();

    @RegisterExtension
    static final MariaDbDatabaseExtension MYSQL_DRIVER = MariaDbDatabaseExtension.create().withMySqlDriver();

    @Nested
    class ThroughMariaDbConnectorJ extends Traps {
        ThroughMariaDbConnectorJ() {
            super(MARIADB_DRIVER);
        }
    }

    @Nested
    class ThroughMySqlConnectorJ extends Traps {
        ThroughMySqlConnectorJ() {
            super(MYSQL_DRIVER);
        }
    }

    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class Traps {

        /** A session setting the claim changes for its own statements, set here to a value of the pool's own. */
        private static final int POOLS_LOCK_WAIT_SECONDS = 7;

        private final MariaDbDatabaseExtension db;
        private HikariDataSource pool;
        private JdbcIdempotencyStore store;

        Traps(MariaDbDatabaseExtension db) {
            this.db = db;
        }

        @BeforeAll
        void openStore() {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(db.jdbcUrl());
            config.setMaximumPoolSize(1);
            // A session time zone far from UTC, which must move nothing the store stores or decides.
            config.setConnectionInitSql("SET SESSION innodb_lock_wait_timeout = " + POOLS_LOCK_WAIT_SECONDS
                    + ", time_zone = '-07:00'");
            pool = new HikariDataSource(config);
            store = JdbcIdempotencyStore.builder().dataSource(pool).purgeInterval(Duration.ZERO).build();
        }

        @AfterAll
        void closeStore() {
            store.close();
            pool.close();
        }

        /**
         * The driver reports an {@code ON DUPLICATE KEY UPDATE} that changed nothing as 1 row, the count of an
         * insert (unless {@code useAffectedRows=true}, which the contract runs too): a claim that took "1 row" to
         * mean "inserted" would run every duplicate. The store does not upsert; its claim inserts, and a
         * duplicate key fails the insert.
         */
        @Test
        void anUnchangedUpsertCountsAsAnInsertSoTheClaimNeverUpserts() throws Exception {
            try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS upsert_trap (k VARCHAR(10) PRIMARY KEY, v INT)");
                assertEquals(1, st.executeUpdate("INSERT INTO upsert_trap VALUES ('a', 1) ON DUPLICATE KEY UPDATE v = v"));
                assertEquals(1, st.executeUpdate("INSERT INTO upsert_trap VALUES ('a', 1) ON DUPLICATE KEY UPDATE v = v"),
                        "an unchanged upsert of an existing row counts as one row, like an insert");
            }
            RecordKey key = StoreTestValues.uniqueKey(StoreTestValues.uniqueScope("upsert"));
            ClaimRequest request = StoreTestValues.claimRequest(key, Instant.now());
            ClaimResult first = store.claim(request);
            assertInstanceOf(ClaimResult.Acquired.class, first);
            ((ClaimResult.Acquired) first).claim().complete(StoreTestValues.response(201, "made"),
                    Instant.now().plus(Duration.ofHours(1)));
            assertInstanceOf(ClaimResult.Existing.class, store.claim(request), "a duplicate is replayed, never run");
        }

        /**
         * {@code GET_LOCK} belongs to the session: a commit and a rollback leave it held, on a pooled connection
         * that serves the next request. The store takes no such lock: with a pool of one connection, a claim
         * given up frees its key for the next claim on that very connection, and for a claim from elsewhere.
         */
        @Test
        void aSessionLockOutlivesItsTransactionSoTheClaimTakesNone() throws Exception {
            try (Connection c = pool.getConnection(); Connection other = db.newDataSource(1).getConnection()) {
                c.setAutoCommit(false);
                assertEquals(1, single(c, "SELECT GET_LOCK('trap', 0)"));
                c.rollback();
                assertEquals(0, single(other, "SELECT GET_LOCK('trap', 0)"), "still held after the rollback");
                assertEquals(1, single(c, "SELECT RELEASE_LOCK('trap')"));
                c.setAutoCommit(true);
            }
            RecordKey key = StoreTestValues.uniqueKey(StoreTestValues.uniqueScope("session-lock"));
            ClaimRequest request = StoreTestValues.claimRequest(key, Instant.now());
            ClaimResult.Acquired given = assertInstanceOf(ClaimResult.Acquired.class, store.claim(request));
            given.claim().abandon();
            try (JdbcIdempotencyStore elsewhere = JdbcIdempotencyStore.builder().dataSource(db.newDataSource(1))
                    .purgeInterval(Duration.ZERO).migrate(false).build()) {
                ClaimResult.Acquired again = assertInstanceOf(ClaimResult.Acquired.class, elsewhere.claim(request));
                again.claim().abandon();
            }
            ClaimResult.Acquired third = assertInstanceOf(ClaimResult.Acquired.class, store.claim(request));
            third.claim().abandon();
        }

        /**
         * InnoDB's default, REPEATABLE READ, reads from a snapshot taken at a transaction's first read, and takes
         * gap locks on keys that are not there, which two first claims of one key would both take and then
         * insert against. The claim runs at READ COMMITTED, with the lock wait timeout at its least; the
         * connection goes back to the pool at the isolation and the lock wait timeout it had, and the handler
         * runs with the pool's lock wait timeout.
         */
        @Test
        void theClaimSetsReadCommittedAndPutsBackWhatItChanged() throws Exception {
            assertEquals("REPEATABLE-READ", isolation(pool));
            RecordKey key = StoreTestValues.uniqueKey(StoreTestValues.uniqueScope("isolation"));
            ClaimResult.Acquired acquired = assertInstanceOf(ClaimResult.Acquired.class,
                    store.claim(StoreTestValues.claimRequest(key, Instant.now())));
            String[] inHandler = acquired.claim().execute(() -> {
                try (Connection c = store.transactionalDataSource().getConnection()) {
                    return new String[] {text(c, "SELECT @@tx_isolation"),
                        text(c, "SELECT @@SESSION.innodb_lock_wait_timeout")};
                }
            });
            acquired.claim().complete(StoreTestValues.response(200, "ok"), Instant.now().plus(Duration.ofHours(1)));
            assertEquals("READ-COMMITTED", inHandler[0]);
            assertEquals(String.valueOf(POOLS_LOCK_WAIT_SECONDS), inHandler[1]);
            assertEquals("REPEATABLE-READ", isolation(pool));
            try (Connection c = pool.getConnection()) {
                assertEquals(String.valueOf(POOLS_LOCK_WAIT_SECONDS), text(c, "SELECT @@SESSION.innodb_lock_wait_timeout"));
            }
        }

        /**
         * A claim meets a holder's uncommitted row at once, not after the pool's lock wait timeout (7 s here).
         */
        @Test
        void aDuplicateOfARunningRequestIsBusyAtOnce() throws Exception {
            RecordKey key = StoreTestValues.uniqueKey(StoreTestValues.uniqueScope("nowait"));
            ClaimRequest request = StoreTestValues.claimRequest(key, Instant.now());
            try (JdbcIdempotencyStore second = JdbcIdempotencyStore.builder().dataSource(db.newDataSource(2))
                    .purgeInterval(Duration.ZERO).migrate(false).build()) {
                ClaimResult.Acquired holder = assertInstanceOf(ClaimResult.Acquired.class, store.claim(request));
                long start = System.nanoTime();
                ClaimResult duplicate = second.claim(request);
                long millis = (System.nanoTime() - start) / 1_000_000;
                holder.claim().abandon();
                assertInstanceOf(ClaimResult.Busy.class, duplicate);
                assertTrue(millis < 1000, "busy after " + millis + " ms");
            }
        }

        /**
         * A DATETIME has no time zone, and the drivers convert times with the JVM's zone or drop microseconds
         * (MySQL Connector/J takes MariaDB for MySQL 5.5). The store passes UTC as text and leases run on
         * {@code UTC_TIMESTAMP(6)}: with the JVM and the store's sessions each in a zone of its own, a stored expiry keeps
         * its microseconds and a lease of 10 s ends 10 s from the database's now.
         */
        @Test
        void timesAreUtcToTheMicrosecondWhateverTheZones() throws Exception {
            TimeZone before = TimeZone.getDefault();
            TimeZone.setDefault(TimeZone.getTimeZone("Pacific/Chatham"));
            try (Connection c = db.newDataSource(1).getConnection()) {
                RecordKey key = StoreTestValues.uniqueKey(StoreTestValues.uniqueScope("times"));
                Instant now = Instant.now();
                ClaimRequest lease = ClaimRequest.lease(key, StoreTestValues.fingerprint("times"), now,
                        now.plus(Duration.ofHours(1)), Duration.ofSeconds(10));
                ClaimResult.Acquired acquired = assertInstanceOf(ClaimResult.Acquired.class, store.claim(lease));
                long leaseMicros = single(c, "SELECT TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), lease_expires_at) "
                        + "FROM idempotency_record WHERE idempotency_key = '" + key.key().value() + "'");
                assertTrue(leaseMicros > 9_000_000 && leaseMicros <= 10_000_000, leaseMicros + " µs of lease");
                Instant expiresAt = Instant.parse("2031-02-03T04:05:06.123456Z");
                acquired.claim().complete(StoreTestValues.response(200, "ok"), expiresAt);
                assertEquals("2031-02-03 04:05:06.123456", text(c, "SELECT CAST(expires_at AS CHAR) FROM "
                        + "idempotency_record WHERE idempotency_key = '" + key.key().value() + "'"));
                ClaimResult.Existing replay = assertInstanceOf(ClaimResult.Existing.class,
                        store.claim(StoreTestValues.claimRequest(key, StoreTestValues.fingerprint("times"), now,
                                Duration.ofHours(1))));
                assertEquals(expiresAt, replay.record().expiresAt());
            } finally {
                TimeZone.setDefault(before);
            }
        }

        /**
         * A statement larger than {@code max_allowed_packet} makes the server drop the connection. A filter whose
         * {@code idempotency.max-response-bytes} the server could not store is refused when it hands the store its
         * settings, and an outcome too large is refused before it is sent, naming the setting to change.
         */
        @Test
        void outcomesLargerThanMaxAllowedPacketAreRefusedNamingTheSettings() throws Exception {
            long packet;
            try (Connection c = pool.getConnection()) {
                packet = single(c, "SELECT @@max_allowed_packet");
            }
            IdempotencyConfig tooLarge = IdempotencyConfig.custom().maxResponseBytes(packet).build();
            StoreException refused = assertThrows(StoreException.class, () -> store.adoptPurgeSettings(tooLarge));
            assertTrue(refused.getMessage().contains("idempotency.max-response-bytes")
                    && refused.getMessage().contains("max_allowed_packet"), refused.getMessage());
            store.adoptPurgeSettings(IdempotencyConfig.ofDefaults());

            RecordKey key = StoreTestValues.uniqueKey(StoreTestValues.uniqueScope("packet"));
            ClaimRequest request = StoreTestValues.claimRequest(key, Instant.now());
            ClaimResult.Acquired acquired = assertInstanceOf(ClaimResult.Acquired.class, store.claim(request));
            StoredResponse huge = StoreTestValues.response(200, new byte[(int) packet]);
            StoreException e = assertThrows(StoreException.class,
                    () -> acquired.claim().complete(huge, Instant.now().plus(Duration.ofHours(1))));
            acquired.claim().abandon();
            assertTrue(e.getMessage().contains("max_allowed_packet"), e.getMessage());
            assertInstanceOf(ClaimResult.Acquired.class, store.claim(request), "the key is free again")
                    .claim().abandon();
        }

        private static String isolation(DataSource pool) throws SQLException {
            try (Connection c = pool.getConnection()) {
                return text(c, "SELECT @@tx_isolation");
            }
        }

        private static long single(Connection c, String sql) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }

        private static String text(Connection c, String sql) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
