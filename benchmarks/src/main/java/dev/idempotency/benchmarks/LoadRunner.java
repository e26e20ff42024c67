package dev.idempotency.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;

/**
 * Runs a {@link Scenario} with a fixed number of clients in a closed loop (each sends its next request as
 * soon as the previous one was answered) for a time window, and records every latency.
 *
 * <p>A closed loop measures the latency of the requests it manages to send; when the server stalls the
 * clients stall too, so the tail is what a client with that concurrency sees, not what an open-loop
 * arrival process would see (coordinated omission). The comparisons between scenarios run under the same
 * loop and stay fair.
 */
final class LoadRunner {

    /** What one window measured. */
    record Window(String scenario, int clients, long requests, long elapsedNanos, Histogram latencies,
            Map<Scenario.Outcome, Long> outcomes, long failures, List<String> errors, long clientCpuNanos) {

        double throughput() {
            return requests * 1e9 / elapsedNanos;
        }

        /** Requests that failed or got an answer the scenario does not accept. */
        long unexpected() {
            return outcomes.getOrDefault(Scenario.Outcome.UNEXPECTED, 0L) + failures;
        }

        long count(Scenario.Outcome outcome) {
            return outcomes.getOrDefault(outcome, 0L);
        }
    }

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private LoadRunner() {
    }

    /** Runs {@code scenario} with {@code clients} clients for {@code window}. */
    static Window run(int port, Scenario scenario, int clients, Duration window) throws InterruptedException {
        return run(port, scenario, clients, window, () -> false);
    }

    /**
     * Runs {@code scenario} with {@code clients} clients until {@code window} has passed or {@code stop}
     * says so, whichever comes first.
     */
    static Window run(int port, Scenario scenario, int clients, Duration window, BooleanSupplier stop)
            throws InterruptedException {
        CyclicBarrier start = new CyclicBarrier(clients + 1);
        long[] startedAt = new long[1];
        List<ClientThread> threads = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            ClientThread thread = new ClientThread(port, scenario, i, start, startedAt, window.toNanos(), stop);
            threads.add(thread);
            thread.start();
        }
        try {
            startedAt[0] = System.nanoTime();
            start.await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("The load generator's clients did not start", e);
        }
        Histogram latencies = newHistogram();
        Map<Scenario.Outcome, Long> outcomes = new EnumMap<>(Scenario.Outcome.class);
        List<String> errors = new ArrayList<>();
        long requests = 0;
        long failures = 0;
        long clientCpu = 0;
        long finished = 0;
        for (ClientThread thread : threads) {
            thread.join();
            latencies.add(thread.latencies);
            thread.outcomes.forEach((k, v) -> outcomes.merge(k, v, Long::sum));
            errors.addAll(thread.errors.subList(0, Math.min(thread.errors.size(), 5 - Math.min(5, errors.size()))));
            requests += thread.requests;
            failures += thread.failures;
            clientCpu += thread.cpuNanos;
            finished = Math.max(finished, thread.finishedAt);
        }
        return new Window(scenario.name(), clients, requests, finished - startedAt[0], latencies, outcomes, failures,
                errors, clientCpu);
    }

    static Histogram newHistogram() {
        return new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
    }

    private static final class ClientThread extends Thread {
        private final int port;
        private final Scenario scenario;
        private final int index;
        private final CyclicBarrier start;
        private final long[] startedAt;
        private final long windowNanos;
        private final BooleanSupplier stop;
        final Histogram latencies = newHistogram();
        final Map<Scenario.Outcome, Long> outcomes = new EnumMap<>(Scenario.Outcome.class);
        final List<String> errors = new ArrayList<>();
        long requests;
        long failures;
        long finishedAt;
        long cpuNanos;

        ClientThread(int port, Scenario scenario, int index, CyclicBarrier start, long[] startedAt, long windowNanos,
                BooleanSupplier stop) {
            super("load-" + scenario.name() + "-" + index);
            this.port = port;
            this.scenario = scenario;
            this.index = index;
            this.start = start;
            this.startedAt = startedAt;
            this.windowNanos = windowNanos;
            this.stop = stop;
            setDaemon(true);
        }

        @Override
        public void run() {
            long cpuStart = CPU.getCurrentThreadCpuTime();
            try (HttpConnection connection = new HttpConnection(port)) {
                start.await(30, TimeUnit.SECONDS);
                long deadline = startedAt[0] + windowNanos;
                long sequence = 0;
                long now;
                while ((now = System.nanoTime()) < deadline && !stop.getAsBoolean()) {
                    Scenario.Request request = scenario.next(index, sequence++);
                    HttpConnection.Response response;
                    try {
                        response = connection.post(request.path(), Scenario.CLIENT, request.key(), request.body());
                    } catch (IOException e) {
                        connection.close();
                        failures++;
                        if (errors.size() < 5) {
                            errors.add(request.path() + ": " + e);
                        }
                        continue;
                    }
                    long done = System.nanoTime();
                    latencies.recordValue(Math.min(done - now, latencies.getHighestTrackableValue()));
                    requests++;
                    Scenario.Outcome outcome = scenario.classify(response);
                    outcomes.merge(outcome, 1L, Long::sum);
                    if (outcome == Scenario.Outcome.UNEXPECTED && errors.size() < 5) {
                        errors.add(request.path() + " answered " + response.status()
                                + (response.replayed() ? " (replayed)" : "") + ": " + response.bodyStart());
                    }
                }
            } catch (Exception e) {
                failures++;
                errors.add(scenario.name() + " client " + index + " failed: " + e);
            } finally {
                finishedAt = System.nanoTime();
                cpuNanos = CPU.getCurrentThreadCpuTime() - cpuStart;
            }
        }
    }
}
