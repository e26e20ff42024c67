package dev.idempotency.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyKey;
import dev.idempotency.RequestFingerprint;
import dev.idempotency.StoredResponse;
import dev.idempotency.jdbc.internal.KeyDigest;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.RecordKey;
import dev.idempotency.spi.StoreException;
import dev.idempotency.testing.TestDatabase;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The DataSource handlers use: inside a claim it is the claim's transaction, elsewhere the pool. */
abstract class TransactionJoiningDataSourceScenarios {

    private JdbcIdempotencyStore store;
    private DataSource handlers;

    protected abstract TestDatabase database();

    @BeforeEach
    void createStore() throws SQLException {
        store = JdbcIdempotencyStore.create(database().dataSource());
        handlers = store.transactionalDataSource();
        try (Connection c = database().dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS effects (name VARCHAR(100) NOT NULL)");
        }
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private Claim claim() {
        return claim(UUID.randomUUID().toString());
    }

    private Claim claim(String key) {
        Instant now = Instant.now();
        ClaimRequest request = new ClaimRequest(new RecordKey("scope", IdempotencyKey.of(key)),
                RequestFingerprint.of("POST", "/effects", null, "text/plain", new byte[0]), now,
                now.plus(Duration.ofHours(1)));
        return assertInstanceOf(ClaimResult.Acquired.class, store.claim(request)).claim();
    }

    private static StoredResponse ok() {
        return StoredResponse.of(201, List.of(), "done".getBytes(StandardCharsets.UTF_8));
    }

    private void insertEffect(String name) throws SQLException {
        try (Connection c = handlers.getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO effects (name) VALUES (?)")) {
            ps.setString(1, name);
            ps.executeUpdate();
        }
    }

    private int effects(String name) throws SQLException {
        try (Connection c = database().dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM effects WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    @Test
    void writesInsideAClaimCommitWithTheOutcome() throws Exception {
        String name = UUID.randomUUID().toString();
        try (Claim claim = claim()) {
            claim.execute(() -> {
                insertEffect(name);
                assertEquals(0, effects(name), "not visible to others before the outcome is stored");
                return null;
            });
            claim.complete(ok(), Instant.now().plus(Duration.ofHours(1)));
        }
        assertEquals(1, effects(name));
    }

    @Test
    void writesInsideAnAbandonedClaimRollBack() throws Exception {
        String name = UUID.randomUUID().toString();
        try (Claim claim = claim()) {
            claim.execute(() -> {
                insertEffect(name);
                return null;
            });
            claim.abandon();
        }
        assertEquals(0, effects(name));
    }

    @Test
    void everyGetConnectionInsideAClaimJoinsTheSameTransaction() throws Exception {
        String name = UUID.randomUUID().toString();
        try (Claim claim = claim()) {
            claim.execute(() -> {
                insertEffect(name);
                try (Connection second = handlers.getConnection();
                        PreparedStatement ps = second.prepareStatement("SELECT count(*) FROM effects WHERE name = ?")) {
                    ps.setString(1, name);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        assertEquals(1, rs.getInt(1), "a second handle sees the first one's uncommitted row");
                    }
                }
                return null;
            });
            claim.abandon();
        }
    }

    @Test
    void endingTheTransactionFromTheHandlerIsRefused() throws Exception {
        try (Claim claim = claim()) {
            claim.execute(() -> {
                try (Connection c = handlers.getConnection()) {
                    assertFalse(c.getAutoCommit());
                    SQLException commit = assertThrows(SQLException.class, c::commit);
                    assertTrue(commit.getMessage().contains("commits once"), commit.getMessage());
                    assertThrows(SQLException.class, c::rollback);
                    assertThrows(SQLException.class, () -> c.setAutoCommit(true));
                    c.setAutoCommit(false);
                }
                return null;
            });
            claim.complete(ok(), Instant.now().plus(Duration.ofHours(1)));
        }
    }

    /**
     * A handler that replaces its own claim's record with another: whether the claim wrote an in-progress
     * record (H2) or holds a lock and writes its record with the outcome (PostgreSQL), storing the outcome
     * must fail and take the handler's writes with it, never commit them under someone else's record.
     */
    @Test
    void handlerThatReplacesItsOwnClaimsRecordCommitsNothing() throws Exception {
        String name = UUID.randomUUID().toString();
        String key = UUID.randomUUID().toString();
        try (Claim claim = claim(key)) {
            claim.execute(() -> {
                insertEffect(name);
                try (Connection c = handlers.getConnection();
                        PreparedStatement delete = c.prepareStatement("DELETE FROM " + IdempotencySchema.TABLE
                                + " WHERE idempotency_key = ?");
                        PreparedStatement insert = c.prepareStatement("INSERT INTO " + IdempotencySchema.TABLE
                                + " (key_digest, idempotency_key, fingerprint_version, fingerprint, response_status, "
                                + "response, created_at, expires_at, fencing_token) VALUES (?, ?, 1, ?, 200, ?, "
                                + "?, ?, 7)")) {
                    delete.setString(1, key);
                    delete.executeUpdate();
                    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
                    insert.setObject(1, keyDigest(new RecordKey("scope", IdempotencyKey.of(key))));
                    insert.setString(2, key);
                    insert.setBytes(3, new byte[32]);
                    insert.setBytes(4, new byte[] {1, 0});
                    insert.setObject(5, now);
                    insert.setObject(6, now.plusHours(1));
                    insert.executeUpdate();
                }
                return null;
            });
            StoreException e = assertThrows(StoreException.class, () -> claim.complete(ok(), Instant.now().plus(Duration.ofHours(1))));
            assertTrue(e.getMessage().contains("changed underneath"), e.getMessage());
        }
        assertEquals(0, effects(name), "no effect may commit without its outcome");
        try (Connection c = database().dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + IdempotencySchema.TABLE
                        + " WHERE idempotency_key = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertEquals(0, rs.getInt(1), "the handler's record rolled back with it");
            }
        }
    }

    @Test
    void savepointsWorkInsideAClaim() throws Exception {
        String kept = UUID.randomUUID().toString();
        String undone = UUID.randomUUID().toString();
        try (Claim claim = claim()) {
            claim.execute(() -> {
                insertEffect(kept);
                try (Connection c = handlers.getConnection()) {
                    Savepoint savepoint = c.setSavepoint();
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO effects (name) VALUES (?)")) {
                        ps.setString(1, undone);
                        ps.executeUpdate();
                    }
                    c.rollback(savepoint);
                }
                return null;
            });
            claim.complete(ok(), Instant.now().plus(Duration.ofHours(1)));
        }
        assertEquals(1, effects(kept));
        assertEquals(0, effects(undone));
    }

    @Test
    void closingTheHandlersConnectionReleasesOnlyTheHandle() throws Exception {
        String name = UUID.randomUUID().toString();
        try (Claim claim = claim()) {
            claim.execute(() -> {
                Connection c = handlers.getConnection();
                c.close();
                assertTrue(c.isClosed());
                assertThrows(SQLException.class, c::createStatement, "a closed handle stays closed");
                insertEffect(name);
                return null;
            });
            claim.complete(ok(), Instant.now().plus(Duration.ofHours(1)));
        }
        assertEquals(1, effects(name));
    }

    @Test
    void outsideAClaimItIsThePoolInAutoCommit() throws Exception {
        String name = UUID.randomUUID().toString();
        assertFalse(store.transactionalDataSource().isInIdempotentRequest());
        try (Connection c = handlers.getConnection()) {
            assertTrue(c.getAutoCommit());
        }
        insertEffect(name);
        assertEquals(1, effects(name), "committed at once, as the pool would");
    }

    @Test
    void otherThreadsDoNotJoinTheClaim() throws Exception {
        String name = UUID.randomUUID().toString();
        try (Claim claim = claim()) {
            claim.execute(() -> {
                assertTrue(store.transactionalDataSource().isInIdempotentRequest());
                CompletableFuture.runAsync(() -> {
                    assertFalse(store.transactionalDataSource().isInIdempotentRequest());
                    try {
                        insertEffect(name);
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }).get();
                return null;
            });
            claim.abandon();
        }
        assertEquals(1, effects(name), "the other thread's write used its own connection and committed");
    }

    @Test
    void unwrapReachesThePool() throws Exception {
        assertSame(store.transactionalDataSource(), handlers.unwrap(TransactionJoiningDataSource.class));
        assertTrue(handlers.isWrapperFor(com.zaxxer.hikari.HikariDataSource.class));
    }

    /** The primary key of {@code key}'s record as the engine's column takes it (a uuid on PostgreSQL). */
    private Object keyDigest(RecordKey key) {
        byte[] digest = KeyDigest.of(key);
        if (store.engine() != DatabaseEngine.POSTGRESQL) {
            return digest;
        }
        ByteBuffer bytes = ByteBuffer.wrap(digest);
        return new UUID(bytes.getLong(), bytes.getLong());
    }
}
