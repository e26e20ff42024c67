package dev.idempotency.benchmarks;

/** The targets of issue 4, judged on ratios from the same run. */
final class Targets {

    private Targets() {
    }

    static void http(Report report, HttpBenchmark.Result result) {
        HttpBenchmark.Row baseline = result.row(HttpBenchmark.BASELINE);
        HttpBenchmark.Row transaction = result.row(HttpBenchmark.TRANSACTION);
        HttpBenchmark.Row replays = result.row(HttpBenchmark.REPLAYS);
        HttpBenchmark.Row storm = result.row(HttpBenchmark.STORM);
        double txRatio = transaction.throughput() / baseline.throughput();
        report.verdict("Transaction mode, new keys: ≥ 0.85 × baseline throughput", txRatio >= 0.85,
                Report.format("%.2f × (%.0f vs %.0f req/s)", txRatio, transaction.throughput(), baseline.throughput()));
        report.verdict("Transaction mode, new keys: exactly 1 commit per request",
                Math.abs(transaction.commitsPerRequest() - 1) < 0.05,
                Report.format("%.2f commits/request", transaction.commitsPerRequest()));
        double replayRatio = replays.throughput() / baseline.throughput();
        report.verdict("Replays: ≥ 2 × baseline throughput", replayRatio >= 2,
                Report.format("%.2f × (%.0f vs %.0f req/s)", replayRatio, replays.throughput(), baseline.throughput()));
        double stormP99 = HttpBenchmark.p99(storm) / HttpBenchmark.p99(baseline);
        report.verdict("Duplicate storm: p99 ≤ 2 × baseline p99", stormP99 <= 2,
                Report.format("%.2f × (%s ms vs %s ms)", stormP99, Report.millis(HttpBenchmark.p99(storm)),
                        Report.millis(HttpBenchmark.p99(baseline))));
    }
}
