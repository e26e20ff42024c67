package dev.idempotency.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU time spent on a window, split three ways: the load generator's client threads, the rest of this JVM
 * (Jetty, the filter, the handler, the JDBC driver, JIT and GC), and the PostgreSQL backends of the pool
 * (read from {@code /proc/<pid>/stat}, so only when the server runs on this machine). On a shared
 * two-core machine throughput moves with whatever else runs; CPU time per request moves much less, and
 * says where each scenario's cost goes. {@link #of(long, Pids)} measures another process the same way: an
 * application the benchmark started, and the backends of its own database.
 */
final class CpuMeter {

    private static final double NANOS_PER_TICK = 1e9 / 100; // USER_HZ is 100 on Linux

    /** CPU nanoseconds of the measured process and of its database backends at one moment. */
    record Sample(long processNanos, long backendNanos) {
    }

    /** Where the backends' process ids come from, read once, at the first sample. */
    @FunctionalInterface
    interface Pids {
        List<Long> get() throws SQLException;
    }

    private final long processPid;
    private final Pids backends;
    private List<Long> backendPids;

    /** This JVM and the backends of {@code database}'s pool. */
    CpuMeter(BenchDatabase database) {
        this(-1, database::backendPids);
    }

    private CpuMeter(long processPid, Pids backends) {
        this.processPid = processPid;
        this.backends = backends;
    }

    /** The process {@code pid} (another JVM on this machine) and the {@code backends}. */
    static CpuMeter of(long pid, Pids backends) {
        return new CpuMeter(pid, backends);
    }

    Sample sample() throws SQLException {
        if (backendPids == null) {
            backendPids = backends.get();
        }
        long backend = 0;
        for (long pid : backendPids) {
            backend += procNanos(pid);
        }
        return new Sample(processPid < 0 ? processCpuNanos() : procNanos(processPid), backend);
    }

    /** How many backends the samples sum (read at the first sample). */
    int backendCount() {
        return backendPids == null ? 0 : backendPids.size();
    }

    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return 0;
    }

    /** User and system CPU time of process {@code pid} so far, from {@code /proc/<pid>/stat}; 0 if unreadable. */
    static long procNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // Fields after the command name, which is in parentheses and may hold spaces.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
            return Math.round(ticks * NANOS_PER_TICK);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    static List<Long> pids(java.sql.ResultSet rs) throws SQLException {
        List<Long> pids = new ArrayList<>();
        while (rs.next()) {
            pids.add(rs.getLong(1));
        }
        return pids;
    }
}
