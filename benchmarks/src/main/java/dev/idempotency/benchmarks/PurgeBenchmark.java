package dev.idempotency.benchmarks;

import dev.idempotency.Header;
import dev.idempotency.IdempotencyKey;
import dev.idempotency.StoredResponse;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.spi.RecordKey;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;

/**
 * Expiry at scale (issue 3): a million or more expired records are purged, in the store's batches, while
 * live requests keep coming, and the live requests' latency is compared with the same load before and
 * after the purge. The purge runs exactly as {@code ExpiredRecordPurger} runs it ({@code purgeExpired} with
 * the configured batch size, one transaction per batch), back to back until nothing expired is left, with
 * its clock two hours ahead so the prefilled records (which expire in one) count as expired while every
 * record the live requests write (24 hours) does not.
 *
 * <p>Two records that must survive are in the way: a lease-mode request in progress whose time to live
 * has passed but whose lease is live, held through the whole purge, and a transaction-mode claim that took
 * over an expired record and holds it open through the first tenth of the purge (longer, its open transaction would hold back PostgreSQL's vacuum horizon,
 * and every later batch would wade through the rows deleted before it). The ledger at the end checks the
 * deleted count, that every surviving prefilled and live record is still there, and that both in-progress
 * requests could complete.
 */
final class PurgeBenchmark {

    private static final Duration CLOCK_AHEAD = Duration.ofHours(2);

    private PurgeBenchmark() {
    }

    static void run(BenchOptions options, BenchDatabase database, BenchServer server, PrefilledTable table,
            Report report) throws Exception {
        IdempotencyStore store = server.store();
        int port = server.port();
        if (table.rows() < options.purgeRows()) {
            table.growTo(options.purgeRows(), Instant.now().plus(Duration.ofHours(1)));
        }
        Instant purgeAt = Instant.now().plus(CLOCK_AHEAD);
        long expired = count(database, "SELECT count(*) FROM idempotency_record WHERE expires_at <= ?", purgeAt);
        long recordsBefore = database.queryLong("SELECT count(*) FROM idempotency_record");
        long bytesBefore = database.queryLong("SELECT pg_total_relation_size('idempotency_record')");
        String plan = explainPurge(database, purgeAt, options.purgeBatchSize());

        List<Scenario.Request> completed = Fixtures.completedRequests(port, BenchServer.TRANSACTION, 500);
        Scenario live = mixed(completed);
        RecordKey leased = new RecordKey(table.scope(), IdempotencyKey.of("in-progress-lease-" + Scenario.randomKey()));
        RecordKey held = new RecordKey(table.scope(), IdempotencyKey.of("in-progress-claim-" + Scenario.randomKey()));
        Instant now = Instant.now();
        Claim lease = acquire(store, ClaimRequest.lease(leased, table.fingerprint(), now, now.plusSeconds(1),
                Duration.ofMinutes(30)));
        // The held claim takes over an expired record of its key, so that it holds a row the purge must pass
        // over: on PostgreSQL a transaction-mode claim of a new key writes no record before its outcome.
        acquire(store, new ClaimRequest(held, table.fingerprint(), now.minus(Duration.ofHours(2)),
                now.minus(Duration.ofHours(1)))).complete(StoredResponse.of(201, List.of(), new byte[0]),
                now.minus(Duration.ofHours(1)));
        Claim open = acquire(store, new ClaimRequest(held, table.fingerprint(), now, now.plusSeconds(1)));

        Duration quiet = options.window().compareTo(Duration.ofSeconds(5)) < 0 ? Duration.ofSeconds(5) : options.window();
        System.out.println("purge: live load without the purge (" + quiet.toSeconds() + " s)");
        LoadRunner.Window warmUp = LoadRunner.run(port, live, options.clients(), Duration.ofSeconds(1));
        Fixtures.requireClean(warmUp);
        LoadRunner.Window before = LoadRunner.run(port, live, options.clients(), quiet);
        Fixtures.requireClean(before);

        System.out.println(Report.format("purge: deleting %,d expired records in batches of %d under live load",
                expired, options.purgeBatchSize()));
        AtomicBoolean purging = new AtomicBoolean(true);
        Histogram batches = LoadRunner.newHistogram();
        long[] deleted = new long[1];
        long purgeStart = System.nanoTime();
        StoredResponse done = StoredResponse.of(201, List.of(new Header("Content-Type", "text/plain")),
                "done".getBytes(StandardCharsets.UTF_8));
        boolean[] openCompleted = new boolean[1];
        CompletableFuture<Void> purge = CompletableFuture.runAsync(() -> {
            try {
                int n;
                do {
                    long start = System.nanoTime();
                    n = store.purgeExpired(purgeAt, options.purgeBatchSize());
                    batches.recordValue(System.nanoTime() - start);
                    deleted[0] += n;
                    if (!openCompleted[0] && deleted[0] >= expired / 10) {
                        // The open claim has been passed over by a tenth of the purge; holding its transaction
                        // longer would only hold back PostgreSQL's vacuum horizon (see docs/operations.md).
                        // Throws if the purge had taken its record.
                        open.complete(done, now.plusSeconds(1));
                        openCompleted[0] = true;
                    }
                } while (n == options.purgeBatchSize());
            } finally {
                purging.set(false);
            }
        });
        LoadRunner.Window during = LoadRunner.run(port, live, options.clients(), Duration.ofMinutes(30),
                () -> !purging.get());
        purge.join();
        double purgeSeconds = (System.nanoTime() - purgeStart) / 1e9;
        Fixtures.requireClean(during);

        System.out.println("purge: live load after the purge, before any vacuum (" + quiet.toSeconds() + " s)");
        LoadRunner.Window after = LoadRunner.run(port, live, options.clients(), quiet);
        Fixtures.requireClean(after);

        // Throws if the purge had deleted its record (the lease as lost).
        lease.complete(done, now.plusSeconds(1));
        if (!openCompleted[0]) {
            open.complete(done, now.plusSeconds(1));
        }
        long created = warmUp.count(Scenario.Outcome.CREATED) + before.count(Scenario.Outcome.CREATED) + during.count(Scenario.Outcome.CREATED)
                + after.count(Scenario.Outcome.CREATED) + completed.size() + 2;
        long recordsAfter = database.queryLong("SELECT count(*) FROM idempotency_record");
        long expiredLeft = count(database, "SELECT count(*) FROM idempotency_record WHERE expires_at <= ? "
                + "AND idempotency_key LIKE 'fill-%'", purgeAt);
        long bytesAfterDelete = database.queryLong("SELECT pg_total_relation_size('idempotency_record')");
        long vacuumStart = System.nanoTime();
        database.execute("VACUUM idempotency_record");
        double vacuumSeconds = (System.nanoTime() - vacuumStart) / 1e9;
        long bytesAfterVacuum = database.queryLong("SELECT pg_total_relation_size('idempotency_record')");

        // Once completed, the held claim's record is an ordinary record past its time to live: the rest of the
        // purge may take it, and should.
        long heldPurged = 1 - count(database, "SELECT count(*) FROM idempotency_record WHERE idempotency_key = '"
                + held.key().value() + "' AND expires_at <= ?", purgeAt);
        List<String> problems = new ArrayList<>();
        if (deleted[0] != expired + heldPurged) {
            problems.add("deleted " + deleted[0] + " records, but " + expired + " had expired"
                    + (heldPurged == 1 ? " (and the completed held claim's record)" : ""));
        }
        if (expiredLeft != 0) {
            problems.add(expiredLeft + " expired prefilled records are left");
        }
        if (recordsAfter != recordsBefore - deleted[0] + created) {
            problems.add("expected " + (recordsBefore - deleted[0] + created) + " records after the purge ("
                    + recordsBefore + " - " + deleted[0] + " purged + " + created + " written), found " + recordsAfter);
        }

        double rate = deleted[0] / purgeSeconds;
        Histogram without = LoadRunner.newHistogram();
        without.add(before.latencies());
        without.add(after.latencies());
        LoadRunner.Window bracket = new LoadRunner.Window("without the purge", options.clients(),
                before.requests() + after.requests(), before.elapsedNanos() + after.elapsedNanos(), without,
                before.outcomes(), 0, List.of(), 0);
        List<List<String>> rows = List.of(
                liveRow("before the purge", before),
                liveRow("after the purge (no vacuum yet)", after),
                liveRow("**without the purge** (both of the above)", bracket),
                liveRow("**during the purge**", during));
        report.section("Purge at scale", Report.format("%,d expired records among %,d, deleted in batches of %d "
                + "(one transaction each, `FOR UPDATE SKIP LOCKED`) while %d clients kept sending requests (half "
                + "new keys, half replays).%n%n", expired, recordsBefore, options.purgeBatchSize(), options.clients())
                + Report.format("- Purge: %,d records in %.1f s = **%,.0f records/s**; one batch p50 %s ms, p99 %s ms, "
                        + "max %s ms.%n", deleted[0], purgeSeconds, rate,
                        Report.millis(batches.getValueAtPercentile(50)), Report.millis(batches.getValueAtPercentile(99)),
                        Report.millis(batches.getMaxValue()))
                + Report.format("- The library's background purge runs at most %d batches per `idempotency.purge-interval`"
                        + " (1 minute by default): at the default batch of 1,000 that caps it at 100,000 records a "
                        + "minute (1,667/s), whatever the database could do.%n", 100)
                + Report.format("- Table: %.0f MiB before, %.0f MiB after the delete, %.0f MiB after a plain VACUUM "
                        + "(%.1f s): deleted rows leave free space for new ones, the file does not shrink.%n",
                        bytesBefore / 1048576.0, bytesAfterDelete / 1048576.0, bytesAfterVacuum / 1048576.0, vacuumSeconds)
                + Report.format("- Ledger: %s; the in-progress lease (past its time to live, lease live) completed after "
                        + "the purge, and the open transaction-mode claim (past its time to live too) after the first "
                        + "tenth of it.%n%n",
                        problems.isEmpty() ? "every expired record deleted, every other record kept ("
                                + Report.format("%,d", recordsAfter) + " now)" : String.join("; ", problems))
                + Report.table(List.of("Live requests", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms"), rows)
                + Report.format("%nLive p99 during the purge: %.2f × the p99 without it.%n",
                        (double) during.latencies().getValueAtPercentile(99) / without.getValueAtPercentile(99))
                + "\nPlan of one purge batch:\n\n```\n" + plan + "```\n");
        if (!problems.isEmpty()) {
            throw new IllegalStateException("Purge ledger does not balance: " + String.join("; ", problems));
        }
    }

    private static List<String> liveRow(String phase, LoadRunner.Window window) {
        Histogram h = window.latencies();
        return List.of(phase, Report.format("%.0f", window.throughput()), Report.millis(h.getValueAtPercentile(50)),
                Report.millis(h.getValueAtPercentile(99)), Report.millis(h.getValueAtPercentile(99.9)),
                Report.millis(h.getMaxValue()));
    }

    /** Half requests with new keys, half replays of {@code completed}. */
    private static Scenario mixed(List<Scenario.Request> completed) {
        return new Scenario("live", EnumSet.of(Scenario.Outcome.CREATED, Scenario.Outcome.REPLAYED)) {
            @Override
            Request next(int client, long sequence) {
                if (sequence % 2 == 0) {
                    return new Request(BenchServer.TRANSACTION, randomKey(), newPostBody("live", client, sequence));
                }
                return completed.get(ThreadLocalRandom.current().nextInt(completed.size()));
            }
        };
    }

    private static Claim acquire(IdempotencyStore store, ClaimRequest request) {
        ClaimResult result = store.claim(request);
        if (result instanceof ClaimResult.Acquired acquired) {
            return acquired.claim();
        }
        throw new IllegalStateException("Could not claim " + request.key() + ": " + result);
    }

    private static long count(BenchDatabase database, String sql, Instant at) throws Exception {
        try (PreparedStatement ps = database.prepare(sql)) {
            ps.setObject(1, OffsetDateTime.ofInstant(at, ZoneOffset.UTC));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The plan PostgreSQL picks for one batch of the store's purge statement. */
    private static String explainPurge(BenchDatabase database, Instant at, int batch) throws Exception {
        String sql = "EXPLAIN (COSTS OFF) DELETE FROM idempotency_record WHERE key_digest IN ("
                + "SELECT key_digest FROM idempotency_record WHERE expires_at <= ? "
                + "AND (lease_expires_at IS NULL OR lease_expires_at <= clock_timestamp()) "
                + "FETCH FIRST ? ROWS ONLY FOR UPDATE SKIP LOCKED)";
        StringBuilder plan = new StringBuilder();
        try (PreparedStatement ps = database.prepare(sql)) {
            ps.setObject(1, OffsetDateTime.ofInstant(at, ZoneOffset.UTC));
            ps.setInt(2, batch);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
            }
        }
        return plan.toString();
    }

}
