package dev.idempotency.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Every scenario against the same server and database, in alternating rounds: each round runs every
 * scenario once for one window (and one idle window), in an order that rotates from round to round, so a
 * burst of other activity on the shared machine lands on all of them alike. Commits per request come from
 * the engine's own counters around each window ({@code pg_stat_database} on PostgreSQL, {@code Com_commit}
 * and {@code Handler_commit} on MariaDB: see {@link BenchDatabase}), less what an idle window of the same
 * length counts.
 */
final class HttpBenchmark {

    static final String BASELINE = "baseline";
    static final String AUTO_COMMIT = "baseline, auto-commit";
    static final String NO_DATABASE = "HTTP only, no database";
    static final String TRANSACTION = "transaction mode, new keys";
    static final String TRANSACTION_METRICS = "transaction mode, new keys, metrics on";
    static final String LEASE = "lease mode, new keys";
    static final String OPTIMISTIC = "transaction mode, optimistic claim, new keys";
    static final String REPLAYS = "replays";
    static final String CACHED_REPLAYS = "replays, cache hit";
    static final String STORM = "duplicate storm";
    static final String TWO_COMMIT = "two-commit pattern, new keys";
    static final String TWO_COMMIT_REPLAYS = "two-commit pattern, replays";
    private static final String IDLE = "idle";

    /** Clients that send the same key at once in the storm, and how many requests each key gets. */
    static final int STORM_CLIENTS_PER_KEY = 8;
    static final int STORM_REQUESTS_PER_KEY = 16;

    /** One scenario's totals over all rounds. */
    record Row(String scenario, long requests, long elapsedNanos, Histogram latencies, double commitsPerRequest,
            double rollbacksPerRequest, double statementCommitsPerRequest, Map<Scenario.Outcome, Long> outcomes,
            double clientCpuMicros, double serverCpuMicros, double backendCpuMicros) {
        double throughput() {
            return requests * 1e9 / elapsedNanos;
        }
    }

    /** Everything the HTTP part measured. */
    record Result(Map<String, Row> rows, double idleCommits, double idleCommitsSpread, long stormKeys, long stormPosts,
            long stormDistinctPosts) {
        Row row(String name) {
            return rows.get(name);
        }
    }

    private HttpBenchmark() {
    }

    static Result run(BenchOptions options, BenchDatabase database, BenchServer server, Report report)
            throws Exception {
        int port = server.port();
        int clients = options.clients();
        Duration window = options.window();
        String runId = Long.toHexString(System.nanoTime());
        List<Scenario.Request> completed = Fixtures.completedRequests(port, BenchServer.TRANSACTION, 2000);
        List<Scenario.Request> completedCached = Fixtures.completedRequests(port, BenchServer.CACHED, 2000);
        List<Scenario.Request> completedTwoCommit = Fixtures.completedRequests(port, BenchServer.TWO_COMMIT, 2000);
        Scenario.Storm storm = Scenario.storm(STORM, BenchServer.TRANSACTION, runId, STORM_CLIENTS_PER_KEY,
                STORM_REQUESTS_PER_KEY, clients);
        List<Scenario> scenarios = List.of(
                Scenario.withoutKeys(BASELINE, BenchServer.BASELINE),
                Scenario.withoutKeys(AUTO_COMMIT, BenchServer.BASELINE_AUTO_COMMIT),
                Scenario.withoutKeys(NO_DATABASE, BenchServer.NO_DATABASE),
                Scenario.newKeys(TRANSACTION, BenchServer.TRANSACTION),
                Scenario.newKeys(OPTIMISTIC, BenchServer.OPTIMISTIC),
                Scenario.newKeys(TRANSACTION_METRICS, BenchServer.TRANSACTION_METRICS),
                Scenario.newKeys(LEASE, BenchServer.LEASE),
                Scenario.replays(REPLAYS, completed),
                Scenario.replays(CACHED_REPLAYS, completedCached),
                storm,
                Scenario.newKeys(TWO_COMMIT, BenchServer.TWO_COMMIT),
                Scenario.replays(TWO_COMMIT_REPLAYS, completedTwoCommit));

        System.out.println("http: warming up every scenario (" + scenarios.size() + " x 2 s)");
        for (Scenario scenario : scenarios) {
            Fixtures.requireClean(LoadRunner.run(port, scenario, clients, Duration.ofSeconds(2)));
        }

        // What the warm-up left unreported would otherwise land in the first window.
        database.settle();
        Map<String, List<LoadRunner.Window>> windows = new LinkedHashMap<>();
        Map<String, List<BenchDatabase.TransactionCounts>> counts = new LinkedHashMap<>();
        Map<String, long[]> cpu = new LinkedHashMap<>();
        CpuMeter meter = new CpuMeter(database);
        List<Scenario> order = new ArrayList<>(scenarios);
        order.add(null); // the idle window
        for (int round = 0; round < options.rounds(); round++) {
            System.out.println("http: round " + (round + 1) + " of " + options.rounds());
            for (int i = 0; i < order.size(); i++) {
                Scenario scenario = order.get((i + round) % order.size());
                String name = scenario == null ? IDLE : scenario.name();
                BenchDatabase.TransactionCounts before = database.transactionCounts();
                if (scenario == null) {
                    Thread.sleep(window.toMillis());
                } else {
                    CpuMeter.Sample cpuBefore = meter.sample();
                    LoadRunner.Window measured = LoadRunner.run(port, scenario, clients, window);
                    CpuMeter.Sample cpuAfter = meter.sample();
                    Fixtures.requireClean(measured);
                    windows.computeIfAbsent(name, k -> new ArrayList<>()).add(measured);
                    long[] sums = cpu.computeIfAbsent(name, k -> new long[3]);
                    sums[0] += measured.clientCpuNanos();
                    sums[1] += cpuAfter.processNanos() - cpuBefore.processNanos() - measured.clientCpuNanos();
                    sums[2] += cpuAfter.backendNanos() - cpuBefore.backendNanos();
                }
                database.settle();
                counts.computeIfAbsent(name, k -> new ArrayList<>())
                        .add(database.transactionCounts().minus(before));
            }
        }

        List<BenchDatabase.TransactionCounts> idle = counts.get(IDLE);
        double idleCommits = idle.stream().mapToLong(BenchDatabase.TransactionCounts::commits).average().orElse(0);
        double idleRollbacks = idle.stream().mapToLong(BenchDatabase.TransactionCounts::rollbacks).average().orElse(0);
        double idleStatementCommits = idle.stream().mapToLong(BenchDatabase.TransactionCounts::statementCommits)
                .average().orElse(0);
        double idleSpread = idle.stream().mapToLong(BenchDatabase.TransactionCounts::commits).max().orElse(0)
                - idle.stream().mapToLong(BenchDatabase.TransactionCounts::commits).min().orElse(0);
        Map<String, Row> rows = new LinkedHashMap<>();
        for (Scenario scenario : scenarios) {
            List<LoadRunner.Window> measured = windows.get(scenario.name());
            Histogram latencies = LoadRunner.newHistogram();
            Map<Scenario.Outcome, Long> outcomes = new EnumMap<>(Scenario.Outcome.class);
            long requests = 0;
            long elapsed = 0;
            for (LoadRunner.Window w : measured) {
                latencies.add(w.latencies());
                w.outcomes().forEach((k, v) -> outcomes.merge(k, v, Long::sum));
                requests += w.requests();
                elapsed += w.elapsedNanos();
            }
            List<BenchDatabase.TransactionCounts> deltas = counts.get(scenario.name());
            double commits = deltas.stream().mapToLong(BenchDatabase.TransactionCounts::commits).sum()
                    - idleCommits * deltas.size();
            double rollbacks = deltas.stream().mapToLong(BenchDatabase.TransactionCounts::rollbacks).sum()
                    - idleRollbacks * deltas.size();
            double statementCommits = deltas.stream().mapToLong(BenchDatabase.TransactionCounts::statementCommits)
                    .sum() - idleStatementCommits * deltas.size();
            long[] sums = cpu.get(scenario.name());
            rows.put(scenario.name(), new Row(scenario.name(), requests, elapsed, latencies, commits / requests,
                    rollbacks / requests, statementCommits / requests, outcomes, sums[0] / 1e3 / requests, sums[1] / 1e3 / requests,
                    sums[2] / 1e3 / requests));
        }

        long stormKeys = storm.keys().size();
        long stormPosts = database.queryLong("SELECT count(*) FROM posts WHERE account_id = 'storm'");
        long stormDistinct = database.queryLong("SELECT count(DISTINCT content) FROM posts WHERE account_id = 'storm'");
        Result result = new Result(rows, idleCommits, idleSpread, stormKeys, stormPosts, stormDistinct);
        report.section("HTTP scenarios, side by side", describe(options, database.engine(), result));
        if (stormPosts != stormKeys || stormDistinct != stormKeys) {
            throw new IllegalStateException("Duplicate storm ledger: " + stormKeys + " keys sent, but " + stormPosts
                    + " posts for " + stormDistinct + " distinct keys: an effect was lost or duplicated");
        }
        return result;
    }

    private static String describe(BenchOptions options, BenchDatabase.Engine engine, Result result) {
        boolean mariadb = engine == BenchDatabase.Engine.MARIADB;
        Row baseline = result.row(BASELINE);
        double baseP99 = baseline.latencies().getValueAtPercentile(99);
        List<List<String>> table = new ArrayList<>();
        List<List<String>> cpuTable = new ArrayList<>();
        for (Row row : result.rows().values()) {
            double p99 = row.latencies().getValueAtPercentile(99);
            List<String> cells = new ArrayList<>(List.of(row.scenario(),
                    Report.format("%.0f", row.throughput()),
                    Report.format("%.2f", row.throughput() / baseline.throughput()),
                    Report.millis(row.latencies().getValueAtPercentile(50)),
                    Report.millis(p99),
                    Report.format("%.2f", p99 / baseP99),
                    Report.millis(row.latencies().getValueAtPercentile(99.9)),
                    Report.format("%.2f", row.commitsPerRequest()),
                    Report.format("%.2f", row.rollbacksPerRequest())));
            if (mariadb) {
                cells.add(Report.format("%.2f", row.statementCommitsPerRequest()));
            }
            cells.add(answers(row));
            table.add(cells);
            cpuTable.add(List.of(row.scenario(), Report.format("%.0f", row.clientCpuMicros()),
                    Report.format("%.0f", row.serverCpuMicros()), Report.format("%.0f", row.backendCpuMicros()),
                    Report.format("%.0f", row.serverCpuMicros() + row.backendCpuMicros()),
                    Report.format("%.2f", (row.serverCpuMicros() + row.backendCpuMicros())
                            / (baseline.serverCpuMicros() + baseline.backendCpuMicros()))));
        }
        Row storm = result.row(STORM);
        return Report.format("%d clients, pool of %d connections, %d rounds of %.1f s per scenario (plus an idle "
                + "window per round), scenarios in rotating order.%n%n", options.clients(), options.poolSize(),
                options.rounds(), options.window().toMillis() / 1000.0)
                + Report.table(mariadb
                        ? List.of("Scenario", "req/s", "vs baseline", "p50 ms", "p99 ms", "p99 vs baseline", "p99.9 ms",
                                "COMMITs/req", "ROLLBACKs/req", "Handler_commit/req", "answers")
                        : List.of("Scenario", "req/s", "vs baseline", "p50 ms", "p99 ms", "p99 vs baseline", "p99.9 ms",
                                "commits/req", "rollbacks/req", "answers"), table)
                + (mariadb ? "\nOn MariaDB, COMMITs and ROLLBACKs are the statements (Com_commit, Com_rollback): a "
                        + "statement in auto-commit mode commits without one. Handler_commit counts every statement's "
                        + "commit inside the engine, reads included.\n" : "")
                + Report.format("%nIdle window (same length, same settling): %.1f commits on average (spread %.0f), "
                        + "subtracted from every window: other sessions on the database plus the settling "
                        + "transactions. Commits per request are good to about ±%.3f.%n",
                        result.idleCommits(), result.idleCommitsSpread(),
                        result.idleCommitsSpread() * options.rounds() / Math.max(1, baseline.requests()))
                + Report.format("%nDuplicate storm ledger: %d keys, each sent %d times by %d clients at once; %d posts "
                        + "for %d distinct keys (exactly one effect per key); %.1f requests per executed key.%n",
                        result.stormKeys(), STORM_REQUESTS_PER_KEY, STORM_CLIENTS_PER_KEY, result.stormPosts(),
                        result.stormDistinctPosts(), (double) storm.requests() / Math.max(1, result.stormKeys()))
                + "\nCPU time per request, in µs: the load generator's threads, the rest of the JVM (Jetty, filter, "
                + "handler, JDBC driver, JIT, GC) and " + (mariadb ? "the MariaDB server's whole process (every "
                        + "session of the server and its background threads)" : "the pool's PostgreSQL backends (their "
                        + "WAL writer and checkpointer not included)")
                + ". Throughput on two shared cores follows the sum of the last two.\n\n"
                + Report.table(List.of("Scenario", "load generator", "server JVM", engine.serverCpuLabel(),
                        "server + database", "vs baseline"), cpuTable)
                + metricsCost(result) + againstTwoCommit(result) + Report.format("%nReplays with the cache hit "
                        + "against without: %.2f x.%n", result.row(CACHED_REPLAYS).throughput()
                                / result.row(REPLAYS).throughput());
    }

    /** The library against the reimplemented two-commit pattern, measured in the same rounds. */
    private static String againstTwoCommit(Result result) {
        return Report.format("%nThe library against the two-commit pattern (a reimplementation of the design, see "
                + "TwoCommitFilter): new keys %.2f x (transaction mode %.0f req/s, %.2f commits/req; two-commit %.0f "
                + "req/s, %.2f commits/req); replays %.2f x.%n",
                result.row(TRANSACTION).throughput() / result.row(TWO_COMMIT).throughput(),
                result.row(TRANSACTION).throughput(), result.row(TRANSACTION).commitsPerRequest(),
                result.row(TWO_COMMIT).throughput(), result.row(TWO_COMMIT).commitsPerRequest(),
                result.row(REPLAYS).throughput() / result.row(TWO_COMMIT_REPLAYS).throughput());
    }

    /** The metrics-on scenario against the same one without metrics, measured in the same rounds. */
    private static String metricsCost(Result result) {
        Row off = result.row(TRANSACTION);
        Row on = result.row(TRANSACTION_METRICS);
        return Report.format("%nMetrics on vs off (transaction mode, new keys; the Micrometer binding on a "
                + "Prometheus registry): throughput %.3f x; server JVM CPU per request %+.1f%% (%.0f vs %.0f µs); "
                + "server + database CPU per request %+.1f%%; p99 %.2f vs %.2f ms.%n",
                on.throughput() / off.throughput(),
                100.0 * (on.serverCpuMicros() / off.serverCpuMicros() - 1), on.serverCpuMicros(), off.serverCpuMicros(),
                100.0 * ((on.serverCpuMicros() + on.backendCpuMicros()) / (off.serverCpuMicros() + off.backendCpuMicros())
                        - 1),
                on.latencies().getValueAtPercentile(99) / 1e6, off.latencies().getValueAtPercentile(99) / 1e6);
    }

    /** A row's answers, counted by outcome: "1200 created, 3 conflict". */
    static String answers(Row row) {
        List<String> parts = new ArrayList<>();
        row.outcomes().forEach((k, v) -> parts.add(v + " " + k.name().toLowerCase(java.util.Locale.ROOT)));
        return String.join(", ", parts);
    }

    static double p99(Row row) {
        return row.latencies().getValueAtPercentile(99);
    }

}
