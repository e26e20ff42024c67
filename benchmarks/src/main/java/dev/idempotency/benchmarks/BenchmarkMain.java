package dev.idempotency.benchmarks;

import dev.idempotency.jdbc.Redaction;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;

/**
 * Runs the benchmarks: {@code java -jar benchmarks/target/benchmarks.jar [PART...] [OPTIONS]} (see
 * {@link BenchOptions#USAGE}). Exits with 1, after saying why, when the database cannot be reached (or is
 * MariaDB and a part other than {@code jmh} and {@code http} is asked for), when a
 * request gets an answer its scenario does not allow, or when a ledger does not balance; with 2 for an
 * unusable command line. Missing a performance target is reported, not an error.
 */
public final class BenchmarkMain {

    private BenchmarkMain() {
    }

    public static void main(String[] args) {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (BenchOptions.UsageException e) {
            if (e.getMessage() != null) {
                System.err.println("benchmarks: " + e.getMessage());
            }
            System.err.print(BenchOptions.USAGE);
            System.exit(e.getMessage() == null ? 0 : 2);
            return;
        }
        try {
            run(options);
        } catch (Exception e) {
            System.err.println();
            // A password in --jdbc-url is never printed, whoever quotes the URL.
            Set<String> secrets = Redaction.secretsIn(options.jdbcUrl());
            System.err.println("benchmarks: FAILED: " + Redaction.redact(e.getMessage(), secrets));
            if (!(e instanceof SetupFailure)) {
                System.err.println(Redaction.redact(stackTrace(e), secrets));
            }
            System.exit(1);
        }
        System.exit(0);
    }

    private static void run(BenchOptions options) throws Exception {
        long started = System.nanoTime();
        Report report = new Report(options.out());
        boolean needsDatabase = options.parts().stream().anyMatch(p -> !p.equals("jmh"));
        // Opened first, so that a missing server fails the run at once rather than after the JMH part.
        try (BenchDatabase database = needsDatabase ? BenchDatabase.open(options.jdbcUrl(), options.poolSize()) : null) {
            List<String> postgresOnly = options.parts().stream().filter(p -> !p.equals("jmh") && !p.equals("http"))
                    .toList();
            if (options.runs("spring") || options.runs("spring-tail")) {
                SpringApp.jar(); // a missing jar fails the run now, not after the other parts
            }
            if (database != null && database.engine() != BenchDatabase.Engine.POSTGRESQL && !postgresOnly.isEmpty()) {
                // Their SQL (generate_series, pg_total_relation_size, the purge's statistics) is PostgreSQL's.
                throw new IllegalStateException("On " + database.engine().displayName() + " only the http part runs, "
                        + "not " + String.join(", ", postgresOnly) + ": name it, as in "
                        + "java -jar benchmarks/target/benchmarks.jar http --jdbc-url " + Redaction.redact(options.jdbcUrl()));
            }
            report.section("Machine and run", machine(options, database));
            if (options.runs("jmh")) {
                JmhBenchmarks.run(report);
            }
            if (needsDatabase) {
                try (BenchServer server = BenchServer.start(database.pool(), database::timestamp)) {
                    Charts charts = new Charts();
                    if (options.runs("http")) {
                        HttpBenchmark.Result http = HttpBenchmark.run(options, database, server, report);
                        Targets.http(report, http);
                    }
                    if (options.runs("scaling")) {
                        ScalingBenchmark.concurrency(options, server, report, charts);
                    }
                    PrefilledTable table = new PrefilledTable(database);
                    if (options.runs("table")) {
                        ScalingBenchmark.tableSize(options, database, server, table, report, charts);
                    }
                    if (options.runs("purge")) {
                        PurgeBenchmark.run(options, database, server, table, report);
                    }
                    if (options.runs("spring")) {
                        SpringBootBenchmark.run(options, database, report);
                    }
                    if (options.runs("spring-tail")) {
                        SpringReplayTail.run(options, database, report);
                    }
                    if (charts.hasPanels()) {
                        Path png = report.directory().resolve("scaling.png");
                        charts.write(png);
                        report.section("Chart", "Written to `" + png + "`.");
                    }
                }
            }
        }
        report.summary();
        System.out.println(Report.format("%nDone in %.0f s. Report: %s", (System.nanoTime() - started) / 1e9,
                report.file()));
    }

    private static String machine(BenchOptions options, BenchDatabase database) throws Exception {
        StringBuilder out = new StringBuilder();
        out.append("- Date: ").append(ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME)).append('\n');
        out.append("- CPU: ").append(Runtime.getRuntime().availableProcessors()).append(" cores (nproc), ")
                .append(cpuModel()).append('\n');
        out.append("- Memory: ").append(memory()).append('\n');
        out.append("- Java: ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.runtime.version")).append('\n');
        if (database != null) {
            String engine = database.engine().displayName();
            out.append("- ").append(engine).append(": ").append(database.serverVersion()).append('\n');
            out.append("- ").append(engine).append(" settings: ").append(database.settings()).append('\n');
            out.append("- Database: ").append(Redaction.redact(options.jdbcUrl())).append(", ")
                    .append(database.engine() == BenchDatabase.Engine.POSTGRESQL ? "schema " : "database ")
                    .append(database.schema()).append(" (dropped at the end)\n");
        }
        out.append("- Parts: ").append(String.join(", ", options.parts())).append('\n');
        out.append("- The machine is shared: other sessions' builds and tests use its two cores and the same "
                + "database server while this runs, so absolute numbers move from run to run; the ratios come "
                + "from scenarios measured side by side.\n");
        return out.toString();
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux: the core count above has to do
        }
        return System.getProperty("os.arch");
    }

    private static String memory() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/meminfo"));
            for (String line : lines) {
                if (line.startsWith("MemTotal:")) {
                    long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return Report.format("%.1f GiB", kib / 1024.0 / 1024.0);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return "unknown";
    }

    private static String stackTrace(Throwable e) {
        StringWriter text = new StringWriter();
        e.printStackTrace(new PrintWriter(text));
        return text.toString();
    }
}
