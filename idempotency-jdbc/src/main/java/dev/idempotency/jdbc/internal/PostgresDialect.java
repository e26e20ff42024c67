package dev.idempotency.jdbc.internal;

import dev.idempotency.store.ClaimRequest;
import dev.idempotency.store.ClaimResult;
import dev.idempotency.store.RecordKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * PostgreSQL: a transaction-scoped advisory lock on the key says "in progress" without ever waiting
 * (inserting over another transaction's uncommitted row would block until it ends), and the insert of the
 * in-progress row rides in the same statement, so a new key costs one round trip. The primary key stays
 * the last word: even a request that bypassed the lock could not commit a second record.
 */
final class PostgresDialect extends SqlDialect {

    private final String tryClaim = "WITH claim_lock AS (SELECT pg_try_advisory_xact_lock(?) AS acquired), "
            + "inserted AS (INSERT INTO " + TABLE + " " + INSERT_COLUMNS + " SELECT " + insertValues()
            + " FROM claim_lock WHERE acquired ON CONFLICT (scope, idempotency_key) DO NOTHING RETURNING 1) "
            + "SELECT acquired, EXISTS (SELECT 1 FROM inserted) FROM claim_lock";

    private final String insert = "INSERT INTO " + TABLE + " " + INSERT_COLUMNS + " VALUES (" + insertValues()
            + ") ON CONFLICT (scope, idempotency_key) DO NOTHING";

    @Override
    protected String now() {
        // clock_timestamp(), not now(): now() stands still for the whole transaction.
        return "clock_timestamp()";
    }

    @Override
    protected String leaseExpiry(String millis) {
        return "CASE WHEN " + millis + " > 0 THEN clock_timestamp() + " + millis
                + " * INTERVAL '1 millisecond' END";
    }

    @Override
    public ClaimFound claim(Connection connection, ClaimRequest request) throws SQLException {
        boolean locked;
        boolean inserted;
        try (PreparedStatement ps = connection.prepareStatement(tryClaim)) {
            ps.setLong(1, lockKey(request.key()));
            bindInsert(ps, 2, request);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                locked = rs.getBoolean(1);
                inserted = rs.getBoolean(2);
            }
        }
        if (inserted) {
            return ClaimFound.acquired(1);
        }
        // A completed record is answered even without the lock: replays of one key may run side by side.
        Row row = read(connection, request.key());
        if (row != null && !reclaimable(row, request)) {
            return judge(row);
        }
        if (!locked) {
            return ClaimFound.busy(ClaimResult.Busy.unknown());
        }
        // We hold the lock and the record is expired (or its lease is), or it was purged in between.
        if (row != null) {
            long token = reclaim(connection, request, row);
            return token > 0 ? ClaimFound.acquired(token) : ClaimFound.busy(ClaimResult.Busy.unknown());
        }
        try (PreparedStatement ps = connection.prepareStatement(insert)) {
            bindInsert(ps, 1, request);
            return ps.executeUpdate() == 1 ? ClaimFound.acquired(1) : ClaimFound.busy(ClaimResult.Busy.unknown());
        }
    }

    /** 64 bits of SHA-256 over scope and key: collisions are as unlikely as for random 64-bit numbers. */
    static long lockKey(RecordKey key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("idempotency-lock\0".getBytes(StandardCharsets.US_ASCII));
            sha.update(key.scope().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(key.key().value().getBytes(StandardCharsets.US_ASCII));
            return ByteBuffer.wrap(sha.digest()).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
