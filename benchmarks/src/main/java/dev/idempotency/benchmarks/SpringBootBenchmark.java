package dev.idempotency.benchmarks;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The {@code spring} part: the Spring Boot example's {@code POST /orders} (a JPA insert in a
 * {@code @Transactional} service) with and without the idempotency starter, so Spring users see their own
 * number. The example's executable jar runs twice, as child JVMs on ports of their own, each on a PostgreSQL
 * database of its own: once with {@code idempotency.enabled=false} (the same application and endpoint, no
 * idempotency: the baseline), once with the starter's default settings. Then alternating rounds as in the
 * {@code http} part: new keys on each, replays on the starter's, and an idle window.
 *
 * <p>Commits per request come from {@code pg_stat_database} of each application's own database. The
 * applications' backends report their counters at most once a second while busy and 10 s after they went
 * idle, and nothing here can make them report sooner, so every window is followed by {@value #FLUSH_SECONDS} s
 * of quiet before the counters are read; the idle window goes through the same steps and its count (the
 * starter's background work: purge, outbox and inbox polling, the pool's keepalive) is subtracted. CPU time
 * per request is each application JVM's ({@code /proc/<pid>/stat}) and its database's backends'.
 */
final class SpringBootBenchmark {

    static final String OFF = "starter off (idempotency.enabled=false)";
    static final String ON = "starter on, new keys";
    static final String ON_REPLAYS = "starter on, replays";
    static final String IDLE = "idle";

    /** What every window waits afterwards for the applications' backends to report their counters. */
    static final long FLUSH_SECONDS = 11;
    /** Warm-up per scenario: C2 compiles a Spring application's request path in seconds, not in two. */
    static final Duration WARM_UP = Duration.ofSeconds(5);
    static final int MIN_WARM_UP_PASSES = 6;
    static final int MAX_WARM_UP_PASSES = 10;
    static final String PATH = "/orders";

    /** The example's {@code POST /orders} body: {@code {"item": ...}}. */
    static final Scenario.Body ORDER = (scenario, client, sequence) -> ("{\"item\":\"" + scenario + " order "
            + sequence + " from client " + client + "\"}").getBytes(StandardCharsets.UTF_8);

    /** One scenario against one application. */
    private record Target(Scenario scenario, SpringApp app, String database, CpuMeter meter) {
    }

    private SpringBootBenchmark() {
    }

    /**
     * The arguments every started application gets: its database, and Tomcat's keep-alive limit lifted (its
     * default closes a connection every 100 requests; the {@code http} part's Jetty has no limit).
     */
    static List<String> arguments(BenchDatabase database, String name, List<String> more) {
        List<String> arguments = new ArrayList<>(List.of(
                "--spring.datasource.url=" + database.jdbcUrl(name) + (database.jdbcUrl(name).contains("?") ? "&" : "?")
                        + "ApplicationName=" + name,
                "--server.tomcat.max-keep-alive-requests=-1"));
        arguments.addAll(more);
        return arguments;
    }

    static void run(BenchOptions options, BenchDatabase database, Report report) throws Exception {
        Path jar = SpringApp.jar();
        String offDatabase = database.createDatabase("off");
        String onDatabase = database.createDatabase("on");
        Path logs = report.directory();
        System.out.println("spring: starting the example twice (starter off, starter on)");
        try (SpringApp off = SpringApp.start("starter off", jar, List.of(),
                arguments(database, offDatabase, List.of("--idempotency.enabled=false")),
                logs.resolve("spring-off.log"));
                SpringApp on = SpringApp.start("starter on", jar, List.of(), arguments(database, onDatabase, List.of()),
                        logs.resolve("spring-on.log"))) {
            List<Scenario.Request> completed = Fixtures.completedRequests(on.port(), PATH, 2000, ORDER);
            List<Target> targets = List.of(
                    new Target(Scenario.newKeys(OFF, PATH, ORDER), off, offDatabase, null),
                    new Target(Scenario.newKeys(ON, PATH, ORDER), on, onDatabase, null),
                    new Target(Scenario.replays(ON_REPLAYS, completed), on, onDatabase, null));
            int passes = warmUp(options, targets);
            Map<SpringApp, CpuMeter> meters = new LinkedHashMap<>();
            meters.put(off, CpuMeter.of(off.pid(), () -> database.backendPids(offDatabase)));
            meters.put(on, CpuMeter.of(on.pid(), () -> database.backendPids(onDatabase)));
            String loadBefore = SpringReplayTail.loadAverage();
            Result result = measure(options, database, targets, meters, List.of(offDatabase, onDatabase));
            String loadAfter = SpringReplayTail.loadAverage();
            off.requireAlive();
            on.requireAlive();
            report.section("Spring Boot: with and without the starter", describe(options, result, passes,
                    meters.get(off).backendCount(), meters.get(on).backendCount())
                    + "\nLoad average before the rounds: " + loadBefore + "; after: " + loadAfter + ".\n");
        }
    }

    /**
     * Runs every scenario for {@link #WARM_UP} in turns, so that neither application is cold again by the time
     * the rounds start, until no scenario's throughput rose by more than 10 % over its previous pass (at
     * least {@value #MIN_WARM_UP_PASSES} passes, at most {@value #MAX_WARM_UP_PASSES}): a Spring application's
     * request path takes the JIT much longer than the {@code http} part's Jetty handler, and longer still on busy
     * cores. Returns the passes run.
     */
    private static int warmUp(BenchOptions options, List<Target> targets) throws InterruptedException {
        double[] previous = new double[targets.size()];
        for (int pass = 1; ; pass++) {
            boolean rising = false;
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < targets.size(); i++) {
                Target target = targets.get(i);
                LoadRunner.Window w = LoadRunner.run(target.app().port(), target.scenario(), options.clients(),
                        WARM_UP);
                Fixtures.requireClean(w);
                rising |= w.throughput() > previous[i] * 1.10;
                previous[i] = w.throughput();
                line.append(Report.format(" %.0f", w.throughput()));
            }
            System.out.println("spring: warm-up pass " + pass + ", req/s:" + line);
            if ((pass >= MIN_WARM_UP_PASSES && !rising) || pass == MAX_WARM_UP_PASSES) {
                return pass;
            }
        }
    }

    /** Every scenario's totals, and each round's throughput of each scenario. */
    private record Result(Map<String, HttpBenchmark.Row> rows, Map<String, List<Double>> throughputs,
            Map<String, double[]> idleCommits) {
    }

    private static Result measure(BenchOptions options, BenchDatabase database, List<Target> targets,
            Map<SpringApp, CpuMeter> meters, List<String> databases) throws Exception {
        Duration window = options.window();
        Map<String, List<LoadRunner.Window>> windows = new LinkedHashMap<>();
        Map<String, List<BenchDatabase.TransactionCounts>> counts = new LinkedHashMap<>();
        Map<String, List<BenchDatabase.TransactionCounts>> idle = new LinkedHashMap<>();
        Map<String, long[]> cpu = new LinkedHashMap<>();
        List<Target> order = new ArrayList<>(targets);
        order.add(null); // the idle window
        meterFirst(meters);
        for (String name : databases) {
            idle.put(name, new ArrayList<>());
        }
        // What the warm-up left unreported would otherwise land in the first window.
        Thread.sleep(FLUSH_SECONDS * 1000);
        for (int round = 0; round < options.rounds(); round++) {
            System.out.println("spring: round " + (round + 1) + " of " + options.rounds() + " ("
                    + order.size() + " windows of " + window.toMillis() / 1000.0 + " s, each followed by "
                    + FLUSH_SECONDS + " s for the backends' counters)");
            for (int i = 0; i < order.size(); i++) {
                Target target = order.get((i + round) % order.size());
                Map<String, BenchDatabase.TransactionCounts> before = new LinkedHashMap<>();
                for (String name : databases) {
                    before.put(name, database.transactionCounts(name));
                }
                if (target == null) {
                    Thread.sleep(window.toMillis());
                } else {
                    CpuMeter meter = meters.get(target.app());
                    CpuMeter.Sample cpuBefore = meter.sample();
                    LoadRunner.Window measured = LoadRunner.run(target.app().port(), target.scenario(),
                            options.clients(), window);
                    CpuMeter.Sample cpuAfter = meter.sample();
                    Fixtures.requireClean(measured);
                    windows.computeIfAbsent(target.scenario().name(), k -> new ArrayList<>()).add(measured);
                    long[] sums = cpu.computeIfAbsent(target.scenario().name(), k -> new long[3]);
                    sums[0] += measured.clientCpuNanos();
                    sums[1] += cpuAfter.processNanos() - cpuBefore.processNanos();
                    sums[2] += cpuAfter.backendNanos() - cpuBefore.backendNanos();
                }
                Thread.sleep(FLUSH_SECONDS * 1000);
                if (target == null) {
                    for (String name : databases) {
                        idle.get(name).add(database.transactionCounts(name).minus(before.get(name)));
                    }
                } else {
                    counts.computeIfAbsent(target.scenario().name(), k -> new ArrayList<>())
                            .add(database.transactionCounts(target.database()).minus(before.get(target.database())));
                }
            }
        }
        Map<String, double[]> idleCommits = new LinkedHashMap<>();
        idle.forEach((name, deltas) -> idleCommits.put(name, new double[] {
            deltas.stream().mapToLong(BenchDatabase.TransactionCounts::commits).average().orElse(0),
            deltas.stream().mapToLong(BenchDatabase.TransactionCounts::rollbacks).average().orElse(0),
            deltas.stream().mapToLong(BenchDatabase.TransactionCounts::commits).max().orElse(0)
                    - deltas.stream().mapToLong(BenchDatabase.TransactionCounts::commits).min().orElse(0)}));
        Map<String, HttpBenchmark.Row> rows = new LinkedHashMap<>();
        Map<String, List<Double>> throughputs = new LinkedHashMap<>();
        for (Target target : targets) {
            String name = target.scenario().name();
            Histogram latencies = LoadRunner.newHistogram();
            Map<Scenario.Outcome, Long> outcomes = new EnumMap<>(Scenario.Outcome.class);
            long requests = 0;
            long elapsed = 0;
            for (LoadRunner.Window w : windows.get(name)) {
                latencies.add(w.latencies());
                w.outcomes().forEach((k, v) -> outcomes.merge(k, v, Long::sum));
                requests += w.requests();
                elapsed += w.elapsedNanos();
                throughputs.computeIfAbsent(name, k -> new ArrayList<>()).add(w.throughput());
            }
            double[] background = idleCommits.get(target.database());
            List<BenchDatabase.TransactionCounts> deltas = counts.get(name);
            double commits = deltas.stream().mapToLong(BenchDatabase.TransactionCounts::commits).sum()
                    - background[0] * deltas.size();
            double rollbacks = deltas.stream().mapToLong(BenchDatabase.TransactionCounts::rollbacks).sum()
                    - background[1] * deltas.size();
            long[] sums = cpu.get(name);
            rows.put(name, new HttpBenchmark.Row(name, requests, elapsed, latencies, commits / requests,
                    rollbacks / requests, 0, outcomes, sums[0] / 1e3 / requests, sums[1] / 1e3 / requests,
                    sums[2] / 1e3 / requests));
        }
        return new Result(rows, throughputs, idleCommits);
    }

    /** Reads each meter's backends now, while the pools are full and before anything is measured. */
    private static void meterFirst(Map<SpringApp, CpuMeter> meters) throws Exception {
        for (CpuMeter meter : meters.values()) {
            meter.sample();
        }
    }

    private static String describe(BenchOptions options, Result result, int warmUpPasses, int offBackends,
            int onBackends) {
        HttpBenchmark.Row off = result.rows().get(OFF);
        List<Double> offRounds = result.throughputs().get(OFF);
        double offP99 = off.latencies().getValueAtPercentile(99);
        List<List<String>> table = new ArrayList<>();
        List<List<String>> cpuTable = new ArrayList<>();
        for (HttpBenchmark.Row row : result.rows().values()) {
            List<Double> rounds = result.throughputs().get(row.scenario());
            double[] ratios = new double[rounds.size()];
            for (int i = 0; i < ratios.length; i++) {
                ratios[i] = rounds.get(i) / offRounds.get(i);
            }
            Arrays.sort(ratios);
            double p99 = row.latencies().getValueAtPercentile(99);
            table.add(List.of(row.scenario(), Report.format("%.0f", row.throughput()),
                    Report.format("%.2f", row.throughput() / off.throughput()),
                    Report.format("%.2f (%.2f–%.2f)", median(ratios), ratios[0], ratios[ratios.length - 1]),
                    String.join(", ", rounds.stream().map(t -> Report.format("%.0f", t)).toList()),
                    Report.millis(row.latencies().getValueAtPercentile(50)), Report.millis(p99),
                    Report.format("%.2f", p99 / offP99), Report.millis(row.latencies().getValueAtPercentile(99.9)),
                    Report.format("%.2f", row.commitsPerRequest()), Report.format("%.2f", row.rollbacksPerRequest()),
                    HttpBenchmark.answers(row)));
            double total = row.serverCpuMicros() + row.backendCpuMicros();
            cpuTable.add(List.of(row.scenario(), Report.format("%.0f", row.clientCpuMicros()),
                    Report.format("%.0f", row.serverCpuMicros()), Report.format("%.0f", row.backendCpuMicros()),
                    Report.format("%.0f", total),
                    Report.format("%.2f", total / (off.serverCpuMicros() + off.backendCpuMicros()))));
        }
        StringBuilder idle = new StringBuilder();
        result.idleCommits().forEach((name, c) -> idle.append(Report.format("%s%s %.1f commits (spread %.0f)",
                idle.length() == 0 ? "" : "; ", name.endsWith("_off") ? "starter off:" : "starter on:", c[0], c[2])));
        return Report.format("The Spring Boot example (`examples-spring-boot`: Spring MVC on Tomcat, `POST /orders` "
                + "saving a JPA entity in a `@Transactional` service, HikariCP's default pool of 10) as two child "
                + "JVMs with default JVM options, each on a PostgreSQL database of its own: with "
                + "`idempotency.enabled=false` (the baseline) and with the starter's defaults. %d clients, %d rounds "
                + "of %.1f s per scenario after %d warm-up passes of %d s each, in rotating order with an idle window; "
                + "each window followed by %d s of quiet for the backends' counters. Backends measured: %d and "
                + "%d.%n%n", options.clients(), options.rounds(), options.window().toMillis() / 1000.0,
                warmUpPasses, WARM_UP.toSeconds(), FLUSH_SECONDS, offBackends, onBackends)
                + Report.table(List.of("Scenario", "req/s", "vs starter off", "per round: median (min–max)",
                        "req/s of each round",
                        "p50 ms", "p99 ms", "p99 vs starter off", "p99.9 ms", "commits/req", "rollbacks/req",
                        "answers"), table)
                + "\nIdle window, subtracted from each window of the same application: " + idle + ".\n"
                + "\nCPU time per request, in µs: the load generator's threads (in the benchmark's JVM), the "
                + "application's JVM (`/proc/<pid>/stat`: Tomcat, Spring MVC, Jackson, Hibernate, the filter, "
                + "HikariCP, the driver, JIT and GC) and its database's PostgreSQL backends.\n\n"
                + Report.table(List.of("Scenario", "load generator", "application JVM", "PostgreSQL backends",
                        "application + database", "vs starter off"), cpuTable);
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
