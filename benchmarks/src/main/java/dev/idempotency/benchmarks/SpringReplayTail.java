package dev.idempotency.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code spring-tail} part: does the first replay window after a run of new keys have a longer tail than
 * the replay windows after it, and why. The Spring Boot example runs with the starter's defaults as a child JVM
 * on a database of its own, with the JVM's compilations ({@code -Xlog:jit+compilation=debug}) and its
 * safepoints, GC pauses and class loading ({@code -Xlog:gc,safepoint,class+load}) logged with wall-clock
 * times. Each cycle is a run of new keys and then {@value #REPLAY_WINDOWS} replay windows back to back; every
 * window's latencies are kept apart, and set beside what happened during it: compilations, compiled code
 * thrown away, safepoints, GC pauses, classes loaded, new database connections of the application's pool,
 * and the statistics of the idempotency table (rows changed since its last analyze, analyzes and vacuums,
 * sequential scans and scans of the expiry index, which only the purge uses).
 */
final class SpringReplayTail {

    static final int REPLAY_WINDOWS = 5;
    static final Duration NEW_KEY_RUN = Duration.ofSeconds(10);
    static final Duration WARM_UP = Duration.ofSeconds(10);

    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSZ");
    private static final Pattern LINE = Pattern.compile("^\\[([^\\]]+)\\]\\s*(.*)$");
    private static final Pattern COMPILE = Pattern.compile("^\\d+\\s+[%sbn!]*\\s*(\\d)\\s+\\S.*$");
    private static final Pattern SAFEPOINT = Pattern.compile("^Safepoint \"([^\"]+)\".*Total: (\\d+) ns");
    private static final Pattern GC_PAUSE = Pattern.compile("^GC\\(\\d+\\) (Pause [^(]+).* ([0-9.]+)ms$");

    /** One measured window and what the database said right after it. */
    private record Window(int cycle, String name, Instant start, Instant end, LoadRunner.Window load,
            double appCpuMicrosPerRequest, TableStats stats, int newConnections) {
    }

    /** The idempotency table's statistics, cumulative. */
    private record TableStats(long modifiedSinceAnalyze, long analyzes, long vacuums, long expiryIndexScans,
            long seqScans) {
    }

    /** What the JVM's logs say happened in one window. */
    private record JvmEvents(int compilations, int c2Compilations, int c2Discarded, int safepoints,
            double safepointMillis, double maxSafepointMillis, String maxSafepointCause, int gcPauses,
            double maxGcPauseMillis, int classesLoaded) {
    }

    private SpringReplayTail() {
    }

    static void run(BenchOptions options, BenchDatabase database, Report report) throws Exception {
        Path jar = SpringApp.jar();
        String name = database.createDatabase("tail");
        Path dir = report.directory();
        Path jit = dir.resolve("spring-tail-jit.log");
        Path safepoints = dir.resolve("spring-tail-safepoints.log");
        Files.deleteIfExists(jit);
        Files.deleteIfExists(safepoints);
        List<String> jvm = List.of("-Xlog:jit+compilation=debug:file=" + jit + ":time",
                "-Xlog:gc,safepoint,class+load:file=" + safepoints + ":time");
        System.out.println("spring-tail: starting the example (starter on) with JIT and safepoint logs");
        List<Window> windows = new ArrayList<>();
        String loadBefore = loadAverage();
        try (SpringApp app = SpringApp.start("starter on, logged", jar, jvm,
                SpringBootBenchmark.arguments(database, name, List.of()), dir.resolve("spring-tail.log"));
                Connection stats = database.connect(name)) {
            int port = app.port();
            List<Scenario.Request> completed = Fixtures.completedRequests(port, SpringBootBenchmark.PATH, 2000,
                    SpringBootBenchmark.ORDER);
            Scenario newKeys = Scenario.newKeys("new keys", SpringBootBenchmark.PATH, SpringBootBenchmark.ORDER);
            Scenario replays = Scenario.replays("replays", completed);
            // New keys only: the first cycle's replay windows are then the replay path's first use under load,
            // as after a deployment; the later cycles' are not.
            System.out.println("spring-tail: warming up (" + WARM_UP.toSeconds() + " s of new keys)");
            Fixtures.requireClean(LoadRunner.run(port, newKeys, options.clients(), WARM_UP));
            CpuMeter meter = CpuMeter.of(app.pid(), List::of);
            Set<Long> backends = new HashSet<>(database.backendPids(name));
            for (int cycle = 1; cycle <= options.rounds(); cycle++) {
                System.out.println("spring-tail: cycle " + cycle + " of " + options.rounds());
                windows.add(window(cycle, "new keys", port, newKeys, options.clients(), NEW_KEY_RUN, meter, stats,
                        database, name, backends));
                for (int i = 1; i <= REPLAY_WINDOWS; i++) {
                    windows.add(window(cycle, "replays " + i, port, replays, options.clients(), options.window(),
                            meter, stats, database, name, backends));
                }
                app.requireAlive();
            }
        }
        String loadAfter = loadAverage();
        List<String> jitLines = Files.readAllLines(jit, StandardCharsets.UTF_8);
        List<String> safepointLines = Files.readAllLines(safepoints, StandardCharsets.UTF_8);
        report.section("The first replay window's tail", describe(options, windows, jitLines, safepointLines,
                loadBefore, loadAfter, jit, safepoints));
    }

    private static Window window(int cycle, String label, int port, Scenario scenario, int clients, Duration length,
            CpuMeter meter, Connection stats, BenchDatabase database, String name, Set<Long> backends)
            throws Exception {
        CpuMeter.Sample before = meter.sample();
        Instant start = Instant.now();
        LoadRunner.Window load = LoadRunner.run(port, scenario, clients, length);
        Instant end = Instant.now();
        CpuMeter.Sample after = meter.sample();
        Fixtures.requireClean(load);
        int fresh = 0;
        for (long pid : database.backendPids(name)) {
            if (backends.add(pid)) {
                fresh++;
            }
        }
        return new Window(cycle, label, start, end, load,
                (after.processNanos() - before.processNanos()) / 1e3 / Math.max(1, load.requests()), tableStats(stats),
                fresh);
    }

    private static TableStats tableStats(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT t.n_mod_since_analyze, t.analyze_count + t.autoanalyze_count, "
                        + "t.vacuum_count + t.autovacuum_count, coalesce((SELECT sum(i.idx_scan) FROM "
                        + "pg_stat_user_indexes i WHERE i.relid = t.relid AND i.indexrelname LIKE '%expires%'), 0), "
                        + "t.seq_scan FROM pg_stat_user_tables t WHERE t.relname = 'idempotency_record'")) {
            if (!rs.next()) {
                throw new IllegalStateException("No idempotency_record table in the application's database");
            }
            return new TableStats(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5));
        }
    }

    /** What the logs say happened between {@code start} and {@code end}. */
    private static JvmEvents events(List<String> jit, List<String> safepoints, Instant start, Instant end) {
        int compilations = 0;
        int c2 = 0;
        int c2Discarded = 0;
        for (String line : jit) {
            Matcher m = LINE.matcher(line);
            if (!m.matches() || !within(m.group(1), start, end)) {
                continue;
            }
            Matcher compile = COMPILE.matcher(m.group(2).trim());
            boolean discarded = m.group(2).contains("made not entrant");
            boolean tier4 = compile.matches() && compile.group(1).equals("4");
            if (discarded) {
                c2Discarded += tier4 ? 1 : 0;
            } else {
                compilations++;
                c2 += tier4 ? 1 : 0;
            }
        }
        int count = 0;
        double total = 0;
        double max = 0;
        String maxCause = "";
        int gcPauses = 0;
        double maxGc = 0;
        int classes = 0;
        for (String line : safepoints) {
            Matcher m = LINE.matcher(line);
            if (!m.matches() || !within(m.group(1), start, end)) {
                continue;
            }
            Matcher sp = SAFEPOINT.matcher(m.group(2));
            if (sp.find()) {
                double ms = Long.parseLong(sp.group(2)) / 1e6;
                count++;
                total += ms;
                if (ms > max) {
                    max = ms;
                    maxCause = sp.group(1);
                }
            }
            Matcher gc = GC_PAUSE.matcher(m.group(2));
            if (gc.find()) {
                gcPauses++;
                maxGc = Math.max(maxGc, Double.parseDouble(gc.group(2)));
            }
            if (m.group(2).contains(" source: ")) {
                classes++;
            }
        }
        return new JvmEvents(compilations, c2, c2Discarded, count, total, max, maxCause, gcPauses, maxGc, classes);
    }

    private static boolean within(String time, Instant start, Instant end) {
        try {
            Instant at = OffsetDateTime.parse(time, LOG_TIME).toInstant();
            return !at.isBefore(start) && at.isBefore(end);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static String describe(BenchOptions options, List<Window> windows, List<String> jit,
            List<String> safepoints, String loadBefore, String loadAfter, Path jitLog, Path safepointLog) {
        List<List<String>> rows = new ArrayList<>();
        TableStats previous = null;
        for (Window w : windows) {
            JvmEvents e = events(jit, safepoints, w.start(), w.end());
            TableStats s = w.stats();
            rows.add(List.of(Integer.toString(w.cycle()), w.name(), Report.format("%.0f", w.load().throughput()),
                    Report.millis(w.load().latencies().getValueAtPercentile(50)),
                    Report.millis(w.load().latencies().getValueAtPercentile(99)),
                    Report.millis(w.load().latencies().getMaxValue()),
                    Report.format("%.0f", w.appCpuMicrosPerRequest()),
                    e.compilations() + " / " + e.c2Compilations(), Integer.toString(e.c2Discarded()),
                    Report.format("%d / %.1f / %.1f%s", e.safepoints(), e.safepointMillis(), e.maxSafepointMillis(),
                            e.maxSafepointCause().isEmpty() ? "" : " " + e.maxSafepointCause()),
                    Report.format("%d / %.1f", e.gcPauses(), e.maxGcPauseMillis()),
                    Integer.toString(w.newConnections()),
                    Long.toString(s.modifiedSinceAnalyze()),
                    previous == null ? "–"
                            : (s.analyzes() - previous.analyzes()) + " / " + (s.vacuums() - previous.vacuums()),
                    previous == null ? "–" : (s.seqScans() - previous.seqScans()) + " / "
                            + (s.expiryIndexScans() - previous.expiryIndexScans()),
                    Integer.toString(e.classesLoaded())));
            previous = s;
        }
        return Report.format("The Spring Boot example with the starter's defaults, as a child JVM with default "
                + "options plus `-Xlog:jit+compilation=debug` and `-Xlog:gc,safepoint,class+load` (to `%s` and "
                + "`%s`), on a "
                + "PostgreSQL database of its own. After 2,000 requests with new keys (the keys to replay) and %d s "
                + "of new keys of warm-up (no replays: the first cycle's are the replay path's first use), %d "
                + "cycles of: %d s of new keys, then %d replay windows of %.1f s back to back (replays of those 2,000 "
                + "keys, picked at random), %d clients. Load average before: %s; after: %s.%n%n",
                jitLog.getFileName(), safepointLog.getFileName(), WARM_UP.toSeconds(),
                options.rounds(), NEW_KEY_RUN.toSeconds(), REPLAY_WINDOWS, options.window().toMillis() / 1000.0,
                options.clients(), loadBefore, loadAfter)
                + Report.table(List.of("cycle", "window", "req/s", "p50 ms", "p99 ms", "max ms",
                        "app CPU µs/req", "compiled (all / C2)", "C2 code discarded",
                        "safepoints: n / total ms / max ms", "GC pauses: n / max ms", "new connections",
                        "rows changed since analyze", "analyzes / vacuums", "seq scans / expiry index scans",
                        "classes loaded"), rows)
                + "\nCompiled: methods the JIT compiled during the window (C2: tier 4). C2 code discarded: tier-4 "
                + "code made not entrant (a deoptimization). Safepoints include the GC pauses. New connections: "
                + "backends of the application's database not seen before the window (the pool replacing or "
                + "adding connections). Rows changed since analyze, analyzes, vacuums: `pg_stat_user_tables` of "
                + "the idempotency table after the window. Sequential scans and scans of its expiry index in the "
                + "window: requests read the table by its primary key; the purge reads it by expiry. Classes "
                + "loaded: `-Xlog:class+load` lines in the window.\n";
    }

    /** The load average of the machine, from {@code /proc/loadavg}. */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return fields[0] + ", " + fields[1] + ", " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
