package dev.idempotency.benchmarks;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The benchmark's command line. */
record BenchOptions(Set<String> parts, String jdbcUrl, int clients, int poolSize, int rounds, Duration window,
        List<Integer> concurrency, List<Long> tableRows, long purgeRows, int purgeBatchSize, Path out) {

    static final Set<String> PARTS = Set.of("jmh", "http", "scaling", "table", "purge", "spring", "spring-tail");

    static final String USAGE = """
            Usage: java -jar benchmarks/target/benchmarks.jar [PART...] [OPTIONS]

            PART: jmh, http, scaling, table, purge (default: these five, in that order), spring, spring-tail
              jmh      JMH microbenchmarks of the per-request work that does not touch the database
              http     every scenario side by side, in alternating rounds: throughput, latency, commits/request
              scaling  throughput and p99 at 1, 4, 16, 64 clients
              table    claim and lookup cost as the idempotency table grows (10k, 1M rows; 10M with --ten-million)
              purge    1M expired rows purged while live requests are served: their p99 with and without
              spring   the Spring Boot example's POST /orders with and without the starter, as two child JVMs
                       (only when named; needs the example's jar: mvn -B -q -pl benchmarks,examples-spring-boot
                       -am package -DskipTests)
              spring-tail  the Spring Boot example's replay windows right after a run of new keys, with the
                       JIT, GC, safepoint, pool and table statistics of each window (only when named; same jar)

            OPTIONS
              --jdbc-url URL       PostgreSQL to run against (default %s), or MariaDB
                                   (jdbc:mariadb://...) for the http part
              --clients N          concurrent clients for http, table and purge (default 16)
              --pool-size N        connections in the store's pool (default 10, the store's own default)
              --rounds N           alternating rounds of the http part (default 3)
              --window SECONDS     length of one measurement window (default 2)
              --ten-million        also grow the table to 10M rows (about a minute more on a quiet machine and
                                   ~6 GB of disk; the purge part then deletes all 10M)
              --table-rows N,N...  the table sizes of the table part instead (default 10000,1000000)
              --purge-rows N       expired rows the purge part deletes (default 1000000)
              --purge-batch N      rows per purge transaction (default 1000, idempotency.purge-batch-size)
              --out DIR            where the report and the chart go (default benchmarks/target/benchmark-results)
            """.formatted(BenchDatabase.DEFAULT_JDBC_URL);

    static BenchOptions parse(String[] args) {
        Set<String> parts = new java.util.LinkedHashSet<>();
        String jdbcUrl = BenchDatabase.DEFAULT_JDBC_URL;
        int clients = 16;
        int poolSize = 10;
        int rounds = 3;
        Duration window = Duration.ofSeconds(2);
        List<Long> tableRows = new ArrayList<>(List.of(10_000L, 1_000_000L));
        long purgeRows = 1_000_000;
        int purgeBatch = 1000;
        Path out = defaultOut();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--jdbc-url" -> jdbcUrl = value(args, ++i, arg);
                case "--clients" -> clients = positive(args, ++i, arg);
                case "--pool-size" -> poolSize = positive(args, ++i, arg);
                case "--rounds" -> rounds = positive(args, ++i, arg);
                case "--window" -> window = Duration.ofMillis(Math.round(Double.parseDouble(value(args, ++i, arg)) * 1000));
                case "--ten-million" -> tableRows.add(10_000_000L);
                case "--table-rows" -> {
                    tableRows.clear();
                    for (String n : value(args, ++i, arg).split(",")) {
                        tableRows.add(Long.parseLong(n.trim()));
                    }
                }
                case "--purge-rows" -> purgeRows = positive(args, ++i, arg);
                case "--purge-batch" -> purgeBatch = positive(args, ++i, arg);
                case "--out" -> out = Path.of(value(args, ++i, arg));
                case "-h", "--help" -> throw new UsageException(null);
                default -> {
                    if (!PARTS.contains(arg)) {
                        throw new UsageException("Unknown argument '" + arg + "'");
                    }
                    parts.add(arg);
                }
            }
        }
        if (parts.isEmpty()) {
            parts.addAll(List.of("jmh", "http", "scaling", "table", "purge"));
        }
        return new BenchOptions(parts, jdbcUrl, clients, poolSize, rounds, window, List.of(1, 4, 16, 64), tableRows,
                purgeRows, purgeBatch, out);
    }

    boolean runs(String part) {
        return parts.contains(part);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new UsageException(option + " needs a value");
        }
        return args[i];
    }

    private static int positive(String[] args, int i, String option) {
        String text = value(args, i, option);
        try {
            int n = Integer.parseInt(text);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException(option + " needs a positive number, not '" + text + "'");
    }

    /** benchmarks/target/benchmark-results next to the jar, wherever the command is run from. */
    private static Path defaultOut() {
        try {
            Path jar = Path.of(BenchOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return jar.getParent().resolve("benchmark-results");
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of("benchmark-results");
        }
    }

    /** A command line that cannot be used; the message says why, or is null for --help. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
