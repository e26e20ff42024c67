package dev.idempotency.benchmarks;

import dev.idempotency.IdempotencyKey;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.spi.RecordKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * How the cost moves with load and with data: throughput and p99 as the clients grow from 1 to 64, and
 * the claim and lookup cost as the idempotency table grows.
 */
final class ScalingBenchmark {

    private ScalingBenchmark() {
    }

    /** Baseline, transaction mode with new keys, and replays at each concurrency, side by side. */
    static void concurrency(BenchOptions options, BenchServer server, Report report, Charts charts) throws Exception {
        int port = server.port();
        List<Scenario.Request> completed = Fixtures.completedRequests(port, BenchServer.TRANSACTION, 500);
        List<Scenario> scenarios = List.of(
                Scenario.withoutKeys(HttpBenchmark.BASELINE, BenchServer.BASELINE),
                Scenario.newKeys(HttpBenchmark.TRANSACTION, BenchServer.TRANSACTION),
                Scenario.replays(HttpBenchmark.REPLAYS, completed));
        Map<String, double[]> throughput = new LinkedHashMap<>();
        Map<String, double[]> p99 = new LinkedHashMap<>();
        List<Integer> levels = options.concurrency();
        List<List<String>> rows = new ArrayList<>();
        for (int level = 0; level < levels.size(); level++) {
            int clients = levels.get(level);
            System.out.println("scaling: " + clients + " clients");
            for (int i = 0; i < scenarios.size(); i++) {
                // Rotated per level, so no scenario always runs right after the same one.
                Scenario scenario = scenarios.get((i + level) % scenarios.size());
                LoadRunner.run(port, scenario, clients, Duration.ofSeconds(1));
                LoadRunner.Window window = LoadRunner.run(port, scenario, clients, options.window());
                Fixtures.requireClean(window);
                throughput.computeIfAbsent(scenario.name(), k -> new double[levels.size()])[level] = window.throughput();
                p99.computeIfAbsent(scenario.name(), k -> new double[levels.size()])[level] =
                        window.latencies().getValueAtPercentile(99) / 1e6;
            }
        }
        for (Scenario scenario : scenarios) {
            for (int level = 0; level < levels.size(); level++) {
                double base = throughput.get(HttpBenchmark.BASELINE)[level];
                double value = throughput.get(scenario.name())[level];
                rows.add(List.of(scenario.name(), Integer.toString(levels.get(level)), Report.format("%.0f", value),
                        Report.format("%.2f", value / base), Report.format("%.2f", p99.get(scenario.name())[level])));
            }
        }
        List<String> labels = levels.stream().map(String::valueOf).toList();
        charts.panel("Throughput (req/s) by clients", labels, throughput);
        charts.panel("p99 latency (ms) by clients", labels, p99);
        report.section("Scaling with concurrency", Report.format("Pool of %d connections; %.1f s per point after 1 s "
                + "of warm-up; closed loop.%n%n", options.poolSize(), options.window().toMillis() / 1000.0)
                + Report.table(List.of("Scenario", "clients", "req/s", "vs baseline", "p99 ms"), rows));
    }

    /**
     * Claim and lookup cost at each table size: directly on the store (one client, so the database's own
     * cost shows without HTTP or queueing), and over HTTP with the run's clients.
     */
    static void tableSize(BenchOptions options, BenchDatabase database, BenchServer server, PrefilledTable table,
            Report report, Charts charts) throws Exception {
        IdempotencyStore store = server.store();
        Instant early = Instant.now().plus(Duration.ofHours(1));
        Instant late = Instant.now().plus(Duration.ofHours(3));
        List<Long> sizes = options.tableRows();
        List<List<String>> rows = new ArrayList<>();
        Map<String, double[]> direct = new LinkedHashMap<>();
        Map<String, double[]> http = new LinkedHashMap<>();
        List<String> labels = new ArrayList<>();
        double firstFill = table.growTo(sizes.get(0), early);
        // Warm-up, so the first size is not measured on a cold JIT or a cold cache.
        directClaims(store, table, 300);
        directLookups(store, table, 300);
        LoadRunner.run(server.port(), Scenario.newKeys(HttpBenchmark.TRANSACTION, BenchServer.TRANSACTION),
                options.clients(), Duration.ofSeconds(1));
        LoadRunner.run(server.port(), table.replays("replays of prefilled records"), options.clients(),
                Duration.ofSeconds(1));
        for (int step = 0; step < sizes.size(); step++) {
            long size = sizes.get(step);
            // Up to a million records expire in an hour, the rest in three: the purge part deletes the former.
            double fill = step == 0 ? firstFill : size <= 1_000_000 ? table.growTo(size, early)
                    : table.growTo(1_000_000, early) + table.growTo(size, late);
            long total = database.queryLong("SELECT count(*) FROM idempotency_record");
            long bytes = database.queryLong("SELECT pg_total_relation_size('idempotency_record')");
            long indexBytes = database.queryLong("SELECT pg_indexes_size('idempotency_record')");
            // Per record: the rows (with TOAST), the primary key's entries and the expiry index's entries.
            long heapBytes = database.queryLong("SELECT pg_table_size('idempotency_record')");
            long primaryKeyBytes = database.queryLong("SELECT pg_relation_size('idempotency_record_pk')");
            long expiryBytes = database.queryLong("SELECT pg_relation_size('idempotency_record_expires_at_idx')");
            System.out.println(Report.format("table: %,d records; measuring", total));
            Histogram claim = directClaims(store, table, 2000);
            Histogram lookup = directLookups(store, table, 2000);
            LoadRunner.Window newKeys = LoadRunner.run(server.port(),
                    Scenario.newKeys(HttpBenchmark.TRANSACTION, BenchServer.TRANSACTION), options.clients(),
                    options.window());
            Fixtures.requireClean(newKeys);
            LoadRunner.Window replays = LoadRunner.run(server.port(), table.replays("replays of prefilled records"),
                    options.clients(), options.window());
            Fixtures.requireClean(replays);
            labels.add(size >= 1_000_000 ? (size / 1_000_000) + "M" : (size / 1000) + "k");
            put(direct, "claim p50", step, sizes.size(), claim.getValueAtPercentile(50) / 1e3);
            put(direct, "claim p99", step, sizes.size(), claim.getValueAtPercentile(99) / 1e3);
            put(direct, "lookup p50", step, sizes.size(), lookup.getValueAtPercentile(50) / 1e3);
            put(direct, "lookup p99", step, sizes.size(), lookup.getValueAtPercentile(99) / 1e3);
            put(http, "new keys", step, sizes.size(), newKeys.throughput());
            put(http, "replays", step, sizes.size(), replays.throughput());
            rows.add(List.of(Report.format("%,d", total), Report.format("%.0f", fill),
                    Report.format("%.0f MiB (indexes %.0f)", bytes / 1048576.0, indexBytes / 1048576.0),
                    Report.format("%.0f", (double) bytes / total),
                    Report.format("%.0f / %.1f / %.1f", (double) heapBytes / total, (double) primaryKeyBytes / total,
                            (double) expiryBytes / total),
                    Report.format("%.0f / %.0f", claim.getValueAtPercentile(50) / 1e3, claim.getValueAtPercentile(99) / 1e3),
                    Report.format("%.0f / %.0f", lookup.getValueAtPercentile(50) / 1e3, lookup.getValueAtPercentile(99) / 1e3),
                    Report.format("%.0f / %s", newKeys.throughput(), Report.millis(newKeys.latencies().getValueAtPercentile(99))),
                    Report.format("%.0f / %s", replays.throughput(), Report.millis(replays.latencies().getValueAtPercentile(99)))));
        }
        charts.panel("Store call on one connection (µs) by table rows", labels, direct);
        charts.panel("HTTP req/s by table rows", labels, http);
        report.section("Scaling with the table size", "Claim: a new key claimed and given back (the claim statement "
                + "and a rollback, no commit). Lookup: a claim of a random completed record (found and replayed). "
                + "Both straight on the store, one at a time, 2,000 each. Then over HTTP with "
                + options.clients() + " clients: new keys (claim, insert, store, commit) and replays of random "
                + "prefilled records.\n\n"
                + Report.table(List.of("records", "fill s", "table size", "bytes/record",
                        "rows / primary key / expiry index bytes per record", "claim p50/p99 µs",
                        "lookup p50/p99 µs", "HTTP new keys req/s / p99 ms", "HTTP replays req/s / p99 ms"), rows)
                + (sizes.contains(10_000_000L) ? "" : "\nThe 10M step runs with `--ten-million` (about a minute more "
                        + "on a quiet machine, more on a busy one, and about 6 GB of disk; the purge part then deletes "
                        + "all 10 million); it is left out of the default run to keep it short.\n"));
    }

    private static void put(Map<String, double[]> series, String name, int index, int length, double value) {
        series.computeIfAbsent(name, k -> new double[length])[index] = value;
    }

    private static Histogram directClaims(IdempotencyStore store, PrefilledTable table, int count) {
        Histogram latencies = LoadRunner.newHistogram();
        for (int i = 0; i < count; i++) {
            Instant now = Instant.now();
            RecordKey key = new RecordKey(table.scope(), IdempotencyKey.of(Scenario.randomKey()));
            long start = System.nanoTime();
            ClaimResult result = store.claim(new ClaimRequest(key, table.fingerprint(), now, now.plus(Duration.ofHours(24))));
            if (!(result instanceof ClaimResult.Acquired acquired)) {
                throw new IllegalStateException("A new key was not acquired: " + result);
            }
            try (Claim claim = acquired.claim()) {
                claim.abandon();
            }
            latencies.recordValue(System.nanoTime() - start);
        }
        return latencies;
    }

    private static Histogram directLookups(IdempotencyStore store, PrefilledTable table, int count) {
        Histogram latencies = LoadRunner.newHistogram();
        for (int i = 0; i < count; i++) {
            Instant now = Instant.now();
            long start = System.nanoTime();
            ClaimResult result = store.claim(new ClaimRequest(table.randomRecordKey(), table.fingerprint(), now,
                    now.plus(Duration.ofHours(24))));
            latencies.recordValue(System.nanoTime() - start);
            if (!(result instanceof ClaimResult.Existing)) {
                throw new IllegalStateException("A prefilled record was not found: " + result);
            }
        }
        return latencies;
    }
}
