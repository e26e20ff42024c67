package dev.idempotency.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Records the scenarios need before they start. */
final class Fixtures {

    private Fixtures() {
    }

    /**
     * Sends {@code count} requests with new keys to {@code path} and returns them, each answered 201 and so
     * stored: sent again, each is a replay.
     */
    static List<Scenario.Request> completedRequests(int port, String path, int count) throws Exception {
        return completedRequests(port, path, count, (scenario, client, i) -> Scenario.body("acct-replay-" + (i % 50),
                "replayed post " + i + ": sent once, answered many times."));
    }

    /** {@link #completedRequests(int, String, int)} with the bodies {@code body} makes. */
    static List<Scenario.Request> completedRequests(int port, String path, int count, Scenario.Body body)
            throws Exception {
        List<Scenario.Request> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            requests.add(new Scenario.Request(path, Scenario.randomKey(), body.of("replay fixture", 0, i)));
        }
        int threads = 8;
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                done.add(executor.submit(() -> {
                    try (HttpConnection connection = new HttpConnection(port)) {
                        for (int i = first; i < count; i += threads) {
                            Scenario.Request request = requests.get(i);
                            HttpConnection.Response response = connection.post(request.path(), Scenario.CLIENT,
                                    request.key(), request.body());
                            if (response.status() != 201 || response.replayed()) {
                                throw new IllegalStateException("Creating a replay fixture: " + path + " answered "
                                        + response.status() + ": " + response.bodyStart());
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            executor.shutdownNow();
        }
        return Collections.unmodifiableList(requests);
    }

    /** Checks that {@code scenario} gets only answers it accepts, failing the run loudly otherwise. */
    static void requireClean(LoadRunner.Window window) {
        if (window.unexpected() > 0) {
            throw new IllegalStateException(window.scenario() + ": " + window.unexpected() + " of "
                    + (window.requests() + window.failures()) + " requests failed or got an unexpected answer, "
                    + "for example " + window.errors() + "; outcomes " + window.outcomes());
        }
    }

}
