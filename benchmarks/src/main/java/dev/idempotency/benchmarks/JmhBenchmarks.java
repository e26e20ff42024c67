package dev.idempotency.benchmarks;

import dev.idempotency.Idempotency;
import dev.idempotency.RequestFingerprint;
import dev.idempotency.adapter.IncomingRequest;
import dev.idempotency.adapter.RequestHandler;
import dev.idempotency.benchmarks.jmh.JsonBodies;
import dev.idempotency.benchmarks.jmh.ListenerBenchmark;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.micrometer.IdempotencyMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs the JMH benchmarks in {@code dev.idempotency.benchmarks.jmh} with the GC profiler, one fork each,
 * and reports time and allocation per operation. Kept short (one warm-up and 2 measured iterations of one
 * second) to fit the run's budget; for tighter error bars run JMH directly:
 * {@code java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main -prof gc}.
 */
final class JmhBenchmarks {

    private JmhBenchmarks() {
    }

    static void run(Report report) throws Exception {
        System.out.println("jmh: microbenchmarks with -prof gc (about 60 s)");
        Options options = new OptionsBuilder()
                .include("dev\\.idempotency\\.benchmarks\\.jmh\\..*")
                .forks(1)
                .warmupIterations(1)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(2)
                .measurementTime(TimeValue.seconds(1))
                .jvmArgsAppend("-Xms1g", "-Xmx1g")
                .addProfiler(GCProfiler.class)
                .verbosity(VerboseMode.SILENT)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        List<RunResult> sorted = new ArrayList<>(results);
        sorted.sort(Comparator.comparing((RunResult r) -> r.getParams().getBenchmark())
                .thenComparing(r -> size(r.getParams())));
        List<List<String>> rows = new ArrayList<>();
        Double fingerprint64k = null;
        for (RunResult result : sorted) {
            BenchmarkParams params = result.getParams();
            Result<?> primary = result.getPrimaryResult();
            Map<String, Result> secondary = result.getSecondaryResults();
            Result<?> allocation = secondary.get("gc.alloc.rate.norm");
            String name = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.', 
                    params.getBenchmark().lastIndexOf('.') - 1) + 1);
            int size = size(params);
            double micros = primary.getScore();
            double bytes = allocation == null ? Double.NaN : allocation.getScore();
            rows.add(List.of(name, size < 0 ? "" : Integer.toString(size),
                    Double.isFinite(primary.getScoreError())
                            ? Report.format("%.3f ± %.3f", micros, primary.getScoreError())
                            : Report.format("%.3f", micros),
                    Report.format("%.0f", bytes),
                    size > 0 ? Report.format("%.2f", bytes / size) : ""));
            if (name.equals("FingerprintBenchmark.jsonBody") && size == 65536) {
                fingerprint64k = micros;
            }
        }
        report.section("JMH microbenchmarks (no database)", "Average time per operation in microseconds "
                + "(wall clock, so inflated whenever other processes hold the cores: see the CPU time below), "
                + "and bytes allocated per operation (`gc.alloc.rate.norm`).\n\n"
                + Report.table(List.of("Benchmark", "bytes", "µs/op", "B/op allocated", "B allocated per byte"), rows));
        double[] cpu = fingerprintCpuMicros();
        report.section("Fingerprint CPU time", "JMH measures wall-clock time, which on a shared two-core machine "
                + "includes the time other processes held the CPU. CPU time of the measuring thread "
                + "(`ThreadMXBean`, 2 s per size after 8 s of warm-up, in this JVM) is the cost the filter itself "
                + "adds to a request:\n\n"
                + Report.table(List.of("JSON body", "CPU µs/op", "JMH wall µs/op"), List.of(
                        List.of("1 KiB", Report.format("%.1f", cpu[0]), jmh(sorted, 1024)),
                        List.of("64 KiB", Report.format("%.1f", cpu[1]), jmh(sorted, 65536)),
                        List.of("1 MiB", Report.format("%.1f", cpu[2]), jmh(sorted, 1048576)))));
        double[] listener = listenerCpuNanos();
        report.section("Metrics CPU time", "Thread CPU time of one replay by the engine on the in-memory store, "
                + "without a listener and with the Micrometer binding on a Prometheus registry, alternating 100 ms "
                + "slices (ListenerBenchmark): the difference is what the metrics add to every request, to be set "
                + "against the CPU time per request of the HTTP part.\n\n"
                + Report.table(List.of("Engine", "CPU ns/replay"), List.of(
                        List.of("without listener", Report.format("%.0f", listener[0])),
                        List.of("with metrics", Report.format("%.0f", listener[1])),
                        List.of("metrics add", Report.format("%.0f", listener[1] - listener[0])))));
        report.verdict("Fingerprint of a 64 KiB JSON body: < 1 ms (CPU time)", cpu[1] < 1000,
                Report.format("%.0f µs CPU (JMH wall clock %s µs)", cpu[1],
                        fingerprint64k == null ? "n/a" : Report.format("%.0f", fingerprint64k)));
    }

    /**
     * Thread CPU time per replay, in nanoseconds, by an engine without a listener ([0]) and by one with the
     * metrics ([1]) ({@link ListenerBenchmark}): 5 s of warm-up on both, then 40 slices of 100 ms alternating
     * between them, so that whatever else the machine does falls on both alike.
     */
    static double[] listenerCpuNanos() throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Idempotency[] engines = {ListenerBenchmark.engine(IdempotencyListener.none()),
                ListenerBenchmark.engine(IdempotencyMetrics.create(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)))};
        IncomingRequest request = ListenerBenchmark.request();
        RequestHandler handler = body -> {
            throw new IllegalStateException("a replay runs no handler");
        };
        long warmUntil = System.nanoTime() + 5_000_000_000L;
        for (int n = 0; System.nanoTime() < warmUntil; n++) {
            engines[n & 1].process(request, handler);
        }
        long[] cpu = new long[2];
        long[] ops = new long[2];
        for (int slice = 0; slice < 40; slice++) {
            int which = slice & 1;
            long wallStart = System.nanoTime();
            long cpuStart = threads.getCurrentThreadCpuTime();
            while (System.nanoTime() - wallStart < 100_000_000L) {
                engines[which].process(request, handler);
                ops[which]++;
            }
            cpu[which] += threads.getCurrentThreadCpuTime() - cpuStart;
        }
        return new double[] {(double) cpu[0] / ops[0], (double) cpu[1] / ops[1]};
    }

    private static String jmh(List<RunResult> results, int size) {
        for (RunResult r : results) {
            if (r.getParams().getBenchmark().endsWith("FingerprintBenchmark.jsonBody") && size(r.getParams()) == size) {
                return Report.format("%.1f", r.getPrimaryResult().getScore());
            }
        }
        return "n/a";
    }

    /**
     * Thread CPU time per JSON fingerprint of 1 KiB, 64 KiB and 1 MiB, in microseconds: 8 s of warm-up on
     * all three (the JIT compiles slowly when other processes hold the cores), then 2 s of each.
     */
    private static double[] fingerprintCpuMicros() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int[] sizes = {1024, 65536, 1048576};
        byte[][] bodies = new byte[sizes.length][];
        for (int i = 0; i < sizes.length; i++) {
            bodies[i] = JsonBodies.order(sizes[i]);
        }
        long warmUntil = System.nanoTime() + 8_000_000_000L;
        for (int n = 0; System.nanoTime() < warmUntil; n++) {
            fingerprint(bodies[n % 8 == 7 ? 2 : n % 2]);
        }
        double[] micros = new double[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            long wallStart = System.nanoTime();
            long cpuStart = threads.getCurrentThreadCpuTime();
            long n = 0;
            while (System.nanoTime() - wallStart < 2_000_000_000L) {
                fingerprint(bodies[i]);
                n++;
            }
            micros[i] = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e3 / n;
        }
        return micros;
    }

    private static RequestFingerprint fingerprint(byte[] body) {
        return RequestFingerprint.of("POST", "/orders", "expand=items&dry_run=false", "application/json", body);
    }

    /** The benchmark's size parameter, or -1 when it has none. */
    private static int size(BenchmarkParams params) {
        for (String key : params.getParamsKeys()) {
            if (key.endsWith("Bytes")) {
                return Integer.parseInt(params.getParam(key));
            }
        }
        return -1;
    }
}
