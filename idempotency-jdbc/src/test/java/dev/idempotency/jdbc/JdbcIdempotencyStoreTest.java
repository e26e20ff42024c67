package dev.idempotency.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.RecordKey;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import dev.idempotency.testing.CapturedLog;
import dev.idempotency.testing.H2DatabaseExtension;
import dev.idempotency.testing.StoreTestValues;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class JdbcIdempotencyStoreTest {

    @RegisterExtension
    final H2DatabaseExtension db = H2DatabaseExtension.create();

    @Test
    void builderNeedsExactlyOneOfDataSourceUrlAndJndiName() {
        IdempotencyConfigException neither = assertThrows(IdempotencyConfigException.class,
                () -> JdbcIdempotencyStore.builder().build());
        assertTrue(neither.getMessage().contains("dataSource, jdbcUrl or jndiDataSource"), neither.getMessage());
        assertThrows(IdempotencyConfigException.class, () -> JdbcIdempotencyStore.builder()
                .dataSource(db.dataSource()).jdbcUrl(db.jdbcUrl()).build());
        assertThrows(IdempotencyConfigException.class, () -> JdbcIdempotencyStore.builder()
                .jndiDataSource("jdbc/orders").jdbcUrl(db.jdbcUrl()).build());
        assertThrows(IdempotencyConfigException.class, () -> JdbcIdempotencyStore.builder()
                .jndiDataSource("jdbc/orders").dataSource(db.dataSource()).build());
    }

    @Test
    void rejectsAUrlThatIsNotJdbc() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> JdbcIdempotencyStore.builder().jdbcUrl("postgres://localhost/app"));
        assertTrue(e.getMessage().contains("jdbcUrl") && e.getMessage().contains("postgres://localhost/app"),
                e.getMessage());
    }

    @Test
    void rejectsAPoolSizeOutOfRange() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> JdbcIdempotencyStore.builder().maximumPoolSize(0));
        assertTrue(e.getMessage().contains("maximumPoolSize"), e.getMessage());
    }

    @Test
    void storeBuiltFromAUrlOwnsAndClosesItsPool() throws Exception {
        JdbcIdempotencyStore store = JdbcIdempotencyStore.builder().jdbcUrl(db.jdbcUrl()).username(db.user())
                .password(db.password()).maximumPoolSize(2).build();
        assertEquals(DatabaseEngine.H2, store.engine());
        try (Connection c = store.transactionalDataSource().getConnection()) {
            assertTrue(c.isValid(1));
        }
        store.close();
        assertThrows(java.sql.SQLException.class, () -> store.transactionalDataSource().getConnection(),
                "the owned pool is closed");
    }

    @Test
    void closingAStoreBuiltFromAUrlReturnsOnceThePoolsThreadsHaveEnded() throws Exception {
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
        JdbcIdempotencyStore store = JdbcIdempotencyStore.builder().jdbcUrl(db.jdbcUrl()).username(db.user())
                .password(db.password()).build();
        try (Connection c = store.transactionalDataSource().getConnection()) {
            assertTrue(c.isValid(1));
        }

        store.close();

        // A servlet container looks for the application's threads right after it stopped, and reports a leak.
        java.util.List<String> running = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t.isAlive() && t.getName().startsWith("idempotency"))
                .map(Thread::getName).toList();
        assertEquals(java.util.List.of(), running);
    }

    @Test
    void aStoreDeletesItsExpiredRecordsInTheBackgroundUntilItIsClosed() throws Exception {
        Set<Thread> before = purgeThreads();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        JdbcIdempotencyStore store = JdbcIdempotencyStore.builder().dataSource(db.dataSource())
                .purgeInterval(Duration.ofMillis(20)).purgeBatchSize(1)
                .clock(Clock.fixed(now.plus(Duration.ofDays(1)), ZoneOffset.UTC)).build();
        RecordKey key = StoreTestValues.uniqueKey(StoreTestValues.uniqueScope("background-purge"));
        try (var claim = ((ClaimResult.Acquired) store.claim(StoreTestValues.claimRequest(key, now))).claim()) {
            claim.complete(StoreTestValues.response(201, "created"), now.plus(StoreTestValues.DEFAULT_TTL));
        }
        assertEquals(1, startedSince(before).size(), "the store runs one purge thread");

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (records(key) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, records(key), "the record that expired by the store's clock was purged");

        store.close();
        assertEquals(Set.of(), startedSince(before), "closing the store ends its purge thread");
    }

    @Test
    void purgeSettingsGivenToTheBuilderAreKeptAndTheOthersComeFromTheFilter() {
        Set<Thread> before = purgeThreads();
        IdempotencyConfig everyFiveMinutes = IdempotencyConfig.custom().purgeInterval(Duration.ofMinutes(5)).build();
        IdempotencyConfig never = IdempotencyConfig.custom().purgeInterval(Duration.ZERO).build();

        try (JdbcIdempotencyStore store = JdbcIdempotencyStore.builder().dataSource(db.dataSource())
                .purgeInterval(Duration.ZERO).build()) {
            assertEquals(Set.of(), startedSince(before), "a purge turned off in the builder");
            assertTrue(store.adoptPurgeSettings(everyFiveMinutes), "the store purges itself");
            assertEquals(Set.of(), startedSince(before), "the builder's interval is kept whatever the filter says");
        }
        try (JdbcIdempotencyStore store = JdbcIdempotencyStore.create(db.dataSource())) {
            assertEquals(1, startedSince(before).size(), "the default purge");
            store.adoptPurgeSettings(never);
            assertEquals(Set.of(), startedSince(before), "an interval the builder was not given is the filter's");
            store.adoptPurgeSettings(everyFiveMinutes);
            assertEquals(1, startedSince(before).size(), "and follows the filter's");
        }
        assertEquals(Set.of(), startedSince(before));
    }

    @Test
    void rejectsPurgeSettingsOutOfRange() {
        assertThrows(IdempotencyConfigException.class,
                () -> JdbcIdempotencyStore.builder().purgeInterval(Duration.ofMillis(-1)));
        assertThrows(IdempotencyConfigException.class,
                () -> JdbcIdempotencyStore.builder().purgeInterval(Duration.ofDays(2)));
        assertThrows(IdempotencyConfigException.class, () -> JdbcIdempotencyStore.builder().purgeBatchSize(0));
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> JdbcIdempotencyStore.builder().purgeBatchSize(100_001));
        assertTrue(e.getMessage().contains("purgeBatchSize"), e.getMessage());
    }

    private int records(RecordKey key) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM " + IdempotencySchema.TABLE + " WHERE idempotency_key = ?")) {
            ps.setString(1, key.key().value());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** The purge threads alive now: other tests' stores may have theirs. */
    private static Set<Thread> purgeThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("idempotency-purge") && thread.isAlive())
                .collect(Collectors.toSet());
    }

    private static Set<Thread> startedSince(Set<Thread> before) {
        Set<Thread> now = purgeThreads();
        now.removeAll(before);
        return now;
    }

    @Test
    void storeOnAGivenPoolLeavesItOpen() throws Exception {
        JdbcIdempotencyStore.create(db.dataSource()).close();
        try (Connection c = db.dataSource().getConnection()) {
            assertTrue(c.isValid(1));
        }
    }

    @Test
    void unreachableDatabaseFailsAtStartUpNamingTheUrl() {
        String url = "jdbc:postgresql://127.0.0.1:1/nothing?connectTimeout=2";
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
                () -> JdbcIdempotencyStore.builder().jdbcUrl(url).username("nobody").build());
        assertTrue(e.getMessage().contains(url), e.getMessage());
    }

    @Test
    void h2FileDatabaseThatDelaysItsWritesIsWarnedAbout(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        try (CapturedLog log = CapturedLog.of("dev.idempotency.jdbc.internal.DatabaseProbe")) {
            JdbcIdempotencyStore.builder().jdbcUrl("jdbc:h2:file:" + dir.resolve("delayed")).username("sa")
                    .password("").build().close();
            java.util.List<CapturedLog.Entry> warnings = log.entries(System.Logger.Level.WARNING);
            assertEquals(1, warnings.size(), "a file database with the default WRITE_DELAY: " + log);
            assertTrue(warnings.get(0).message().contains("WRITE_DELAY=0"), warnings.get(0).message());
        }
        try (CapturedLog log = CapturedLog.of("dev.idempotency.jdbc.internal.DatabaseProbe")) {
            JdbcIdempotencyStore.builder().jdbcUrl("jdbc:h2:file:" + dir.resolve("durable") + ";WRITE_DELAY=0")
                    .username("sa").password("").build().close();
            assertEquals(java.util.List.of(), log.entries(System.Logger.Level.WARNING), "no warning with WRITE_DELAY=0: " + log);
        }
    }

    @Test
    void unsupportedDatabaseIsNamed() {
        StoreException e = assertThrows(StoreException.class,
                () -> DatabaseEngine.fromProductName("Microsoft SQL Server"));
        assertEquals("Unsupported database 'Microsoft SQL Server': the JDBC idempotency store supports PostgreSQL, "
                + "MariaDB, MySQL and H2", e.getMessage());
    }
}
