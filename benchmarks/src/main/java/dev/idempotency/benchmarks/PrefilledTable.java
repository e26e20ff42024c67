package dev.idempotency.benchmarks;

import dev.idempotency.IdempotencyKey;
import dev.idempotency.Header;
import dev.idempotency.RequestFingerprint;
import dev.idempotency.StoredResponse;
import dev.idempotency.jdbc.internal.ResponseCodec;
import dev.idempotency.spi.RecordKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Completed idempotency records written straight into the table with {@code generate_series}, as if
 * {@code POST /tx/posts} had stored them: the benchmark client's scope, keys {@code fill-0000000001} on,
 * the fingerprint of {@link #BODY}, and a stored 201. A replay of any of them is answered from the store,
 * so lookups can be measured at any table size without sending millions of requests first.
 */
final class PrefilledTable {

    /** The body every prefilled record was "sent" with. */
    static final byte[] BODY = Scenario.body("acct-fill", "a post stored long ago, to make the table big");

    /**
     * The stored outcome of every prefilled record, in the store's own encoding, so that the rows are the size the
     * store writes.
     */
    private static final byte[] RESPONSE = ResponseCodec.encode(StoredResponse.of(201,
            List.of(new Header("Content-Type", "application/json"), new Header("Location", "/posts/0")),
            ("{\"id\":0,\"account_id\":\"acct-fill\",\"content\":\"a post stored long ago, to make the table big\","
                    + "\"created_at\":\"2026-01-01T00:00:00Z\"}").getBytes(StandardCharsets.UTF_8)));
    private static final long CHUNK = 1_000_000;

    private final BenchDatabase database;
    private final String scope = "header:" + BenchServer.CLIENT_HEADER.toLowerCase(Locale.ROOT) + ":"
            + sha256(Scenario.CLIENT);
    private final RequestFingerprint fingerprint = RequestFingerprint.of("POST", BenchServer.TRANSACTION, null,
            "application/json", BODY);
    private long rows;

    PrefilledTable(BenchDatabase database) {
        this.database = database;
    }

    /** How many records were prefilled. */
    long rows() {
        return rows;
    }

    /**
     * Adds records until {@code total} were prefilled, expiring from {@code expiresAt} on a microsecond apart (as
     * records written one by one do, so the expiry index has one entry per record), then vacuums and
     * analyses the table so that the measurements after it see a settled table.
     *
     * @return the seconds the inserts took
     */
    double growTo(long total, Instant expiresAt) throws SQLException {
        long started = System.nanoTime();
        // The primary key is the store's digest of scope and key (V6__compact_record.sql computes it the same way).
        String sql = "INSERT INTO idempotency_record (key_digest, idempotency_key, fingerprint_version, fingerprint, "
                + "response_status, response, created_at, expires_at, lease_expires_at, fencing_token) "
                + "SELECT CAST(encode(substr(sha256(convert_to(s.scope, 'UTF8') || decode('00', 'hex') || convert_to(k.key, 'UTF8')), 1, 16), 'hex') AS uuid), "
                + "k.key, ?, ?, 201, ?, now(), ? + k.n * interval '1 microsecond', NULL, 1 "
                + "FROM (SELECT CAST(? AS text) AS scope) s, (SELECT g AS n, 'fill-' || lpad(g::text, 10, '0') AS key "
                + "FROM generate_series(?::bigint, ?::bigint) g) k";
        try (PreparedStatement insert = database.prepare(sql)) {
            while (rows < total) {
                long last = Math.min(total, rows + CHUNK);
                insert.setInt(1, fingerprint.version());
                insert.setBytes(2, fingerprint.digest());
                insert.setBytes(3, RESPONSE);
                insert.setObject(4, OffsetDateTime.ofInstant(expiresAt, ZoneOffset.UTC));
                insert.setString(5, scope);
                insert.setLong(6, rows + 1);
                insert.setLong(7, last);
                insert.executeUpdate();
                rows = last;
                System.out.println(Report.format("table: %,d records prefilled (%.0f s)", rows,
                        (System.nanoTime() - started) / 1e9));
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        database.execute("VACUUM ANALYZE idempotency_record");
        return seconds;
    }

    /** The key of a random prefilled record. */
    String randomKey() {
        return key(1 + ThreadLocalRandom.current().nextLong(rows));
    }

    RecordKey randomRecordKey() {
        return new RecordKey(scope, IdempotencyKey.of(randomKey()));
    }

    RequestFingerprint fingerprint() {
        return fingerprint;
    }

    String scope() {
        return scope;
    }

    /** Replays of random prefilled records; each must be answered from the store. */
    Scenario replays(String name) {
        return new Scenario(name, java.util.EnumSet.of(Scenario.Outcome.REPLAYED)) {
            @Override
            Request next(int client, long sequence) {
                // Qualified: inside a Scenario, a bare randomKey() is Scenario's own (a new random UUID).
                return new Request(BenchServer.TRANSACTION, PrefilledTable.this.randomKey(), BODY);
            }
        };
    }

    private static String key(long n) {
        return String.format(Locale.ROOT, "fill-%010d", n);
    }

    private static String sha256(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
