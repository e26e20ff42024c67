package dev.idempotency.it.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.testing.EffectLedger;
import dev.idempotency.testing.FaultSettings;
import dev.idempotency.testing.TestDatabase;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Randomised traffic: {@value #CLIENTS} clients (threads), each performing one logical action after
 * another, every action its own idempotency key. An attempt may go out as several concurrent copies, each
 * copy with a random delay in the handler and a random fault after the effect: the handler throws, answers
 * 503, answers a body too large to store, fails its commit (PostgreSQL, transaction mode), or keeps the
 * client waiting past its own timeout. A client retries an action, with the same key and body, until it gets
 * an answer that is neither 5xx nor 409 nor a timeout; that answer must be 201 and describe the action's one
 * effect.
 * <ul>
 * <li>Transaction mode ({@code POST /orders}): the effect is the handler's row, in the idempotency
 * transaction.</li>
 * <li>Lease mode ({@code POST /payments}, lease 1 s): the effect is a charge at a downstream service that
 * deduplicates by the derived key the handler passes it.</li>
 * </ul>
 * Each run prints its seed; {@code -Dfault.seed=N} replays the clients' choices (the interleaving of
 * threads is the scheduler's). It runs {@value #DEFAULT_SECONDS} s per database and mode, or
 * {@code -Dfault.duration}.
 */
abstract class RandomisedFaultScenarios {

    static final int CLIENTS = 8;
    static final int DEFAULT_SECONDS = 5;
    static final int MAX_RESPONSE_BYTES = 4096;
    private static final int MAX_ATTEMPTS = 500;

    /** What a copy of an attempt asks the handler to do after its effect. */
    private enum Fault {
        NONE(50), THROW(10), SERVER_ERROR(10), TOO_LARGE(10), CLIENT_TIMEOUT(10), COMMIT_FAILURE(10);

        final int weight;

        Fault(int weight) {
            this.weight = weight;
        }
    }

    private FakeDownstream downstream;
    private FaultApp app;

    protected abstract TestDatabase database();

    protected abstract String databaseName();

    /** Whether the database can fail a commit on request (a deferred constraint): PostgreSQL. */
    protected abstract boolean canFailCommits();

    @BeforeEach
    void startDownstream() throws Exception {
        downstream = new FakeDownstream();
    }

    @AfterEach
    void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        downstream.close();
    }

    @Test
    void randomTrafficWithRetriesDuplicatesDelaysAndFaultsTakesEffectOncePerActionInTransactionMode()
            throws Exception {
        run(false);
    }

    @Test
    void randomTrafficWithRetriesDuplicatesDelaysAndFaultsChargesOncePerActionInLeaseMode() throws Exception {
        run(true);
    }

    private void run(boolean lease) throws Exception {
        long seed = FaultSettings.seed();
        Duration runFor = FaultSettings.duration(Duration.ofSeconds(DEFAULT_SECONDS));
        String mode = lease ? "lease mode, POST /payments: effect = charges at the downstream service"
                : "transaction mode, POST /orders: effect = rows in fault_orders";
        System.out.println("RANDOMISED " + databaseName() + " | " + mode + ": seed=" + seed + " duration=" + runFor
                + " clients=" + CLIENTS + " (replay with -D" + FaultSettings.SEED + "=" + seed + ")");
        app = FaultApp.start(JdbcIdempotencyStore.create(database().dataSource()), IdempotencyConfig.custom()
                .leasePaths("/payments").leaseDuration(Duration.ofSeconds(1)).maxResponseBytes(MAX_RESPONSE_BYTES)
                .purgeInterval(Duration.ZERO).build(), downstream.chargesUri());
        String prefix = "rnd-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        EffectLedger ledger = new EffectLedger("randomised, seed " + seed + ", " + runFor.toSeconds() + " s | "
                + databaseName() + " | " + mode);
        Map<String, HttpResponse<String>> answers = new ConcurrentHashMap<>();
        long deadline = System.nanoTime() + runFor.toNanos();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                Client client = new Client(c, new Random(seed * 31 + c), lease, prefix, ledger, answers, deadline);
                running.add(clients.submit(() -> {
                    client.run();
                    return null;
                }));
            }
            for (Future<?> client : running) {
                client.get();
            }
        } finally {
            clients.shutdownNow();
        }
        // Copies whose client gave up waiting may still be in their handlers; they must end before counting,
        // or an effect they make afterwards would go uncounted.
        long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (app.handlersRunning.get() > 0) {
            assertTrue(System.nanoTime() < settle, app.handlersRunning.get() + " handlers still running 10 s after "
                    + "the last client finished");
            Thread.sleep(20);
        }
        List<String> items = new ArrayList<>(answers.keySet());
        if (lease) {
            for (String item : items) {
                ledger.effects(item, downstream.chargesFor(item));
            }
            ledger.unattributed(downstream.itemsCharged().stream().filter(item -> !ledger.isAction(item))
                    .mapToLong(downstream::chargesFor).sum());
            ledger.note("downstream-calls", downstream.calls());
        } else {
            Effects.countOrders(database().dataSource(), prefix, ledger, items);
        }
        ledger.note("handler-runs", app.handlerRuns.get());
        ledger.printAndAssertExactlyOnce();
        for (String item : items) {
            var answer = FaultApp.json(answers.get(item).body());
            if (lease) {
                assertEquals(downstream.chargeIdFor(item), answer.get("charge").asText(), "the answer names the charge");
            } else {
                assertEquals(Effects.orderId(database().dataSource(), item), answer.get("id").asLong(),
                        "the answer names the row");
            }
        }
        assertEquals(0, Effects.inProgressRecords(database().dataSource()), "no key is left in progress");
    }

    /** One client: actions one after another, each retried until it has its answer. */
    private final class Client {

        private final int index;
        private final Random random;
        private final boolean lease;
        private final String prefix;
        private final EffectLedger ledger;
        private final Map<String, HttpResponse<String>> answers;
        private final long deadline;

        Client(int index, Random random, boolean lease, String prefix, EffectLedger ledger,
                Map<String, HttpResponse<String>> answers, long deadline) {
            this.index = index;
            this.random = random;
            this.lease = lease;
            this.prefix = prefix;
            this.ledger = ledger;
            this.answers = answers;
            this.deadline = deadline;
        }

        void run() throws Exception {
            for (int n = 0; System.nanoTime() < deadline; n++) {
                String item = prefix + index + "-" + n;
                // The run's own prefix keeps a replayed seed's keys apart from an earlier run's in the same database.
                String key = prefix + new UUID(random.nextLong(), random.nextLong());
                ledger.action(item);
                HttpResponse<String> answer = null;
                for (int attempt = 1; answer == null; attempt++) {
                    assertTrue(attempt <= MAX_ATTEMPTS, item + " had no answer after " + MAX_ATTEMPTS + " attempts");
                    answer = attempt(item, key);
                    if (answer == null) {
                        ledger.note("retries", 1);
                        Thread.sleep(random.nextInt(40));
                    }
                }
                answers.put(item, answer);
            }
        }

        /** Sends one attempt as one or more concurrent copies; returns the answer, if one copy got it. */
        private HttpResponse<String> attempt(String item, String key) throws Exception {
            int copies = random.nextInt(100) < 20 ? 2 + random.nextInt(3) : 1;
            if (copies > 1) {
                ledger.note("concurrent-copies", copies);
            }
            List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
            for (int c = 0; c < copies; c++) {
                sent.add(FaultClient.sendAsync(copy(item, key, pickFault())));
            }
            HttpResponse<String> answer = null;
            for (CompletableFuture<HttpResponse<String>> future : sent) {
                HttpResponse<String> response;
                try {
                    response = future.get();
                } catch (ExecutionException e) {
                    assertTrue(e.getCause() instanceof HttpTimeoutException, () -> "unexpected failure: " + e.getCause());
                    ledger.note("client-timeouts", 1);
                    continue;
                }
                int status = response.statusCode();
                ledger.answer(status);
                if (FaultClient.isReplay(response)) {
                    ledger.note("replays", 1);
                }
                if (!FaultClient.isFinal(status)) {
                    continue;
                }
                assertEquals(201, status, () -> "a final answer other than the action's outcome for " + item + ": "
                        + status + " " + response.body());
                if (answer == null) {
                    answer = response;
                } else {
                    assertEquals(answer.body(), response.body(), "two copies answered differently for " + item);
                }
            }
            return answer;
        }

        private Fault pickFault() {
            int total = 0;
            for (Fault fault : Fault.values()) {
                total += fault.weight;
            }
            int pick = random.nextInt(total);
            for (Fault fault : Fault.values()) {
                pick -= fault.weight;
                if (pick < 0) {
                    return fault;
                }
            }
            throw new IllegalStateException();
        }

        private HttpRequest copy(String item, String key, Fault picked) {
            Fault fault = picked == Fault.COMMIT_FAILURE && (lease || !canFailCommits()) ? Fault.NONE : picked;
            String path = lease ? "/payments" : "/orders";
            String sleep = Integer.toString(random.nextInt(120));
            Duration timeout = Duration.ofSeconds(30);
            List<String> headers = new ArrayList<>();
            switch (fault) {
                case THROW -> headers.addAll(List.of("X-Test-Throw", "1"));
                case SERVER_ERROR -> headers.addAll(List.of("X-Test-Status", "503"));
                case TOO_LARGE -> headers.addAll(List.of("X-Test-Body-Bytes", Integer.toString(2 * MAX_RESPONSE_BYTES)));
                case CLIENT_TIMEOUT -> {
                    sleep = "400";
                    timeout = Duration.ofMillis(150);
                }
                case COMMIT_FAILURE -> headers.addAll(List.of("X-Test-Fail-Commit", "1"));
                case NONE -> { }
                default -> throw new IllegalStateException(fault.name());
            }
            ledger.note("fault-" + fault.name().toLowerCase(Locale.ROOT).replace('_', '-'), 1);
            headers.addAll(List.of("X-Test-Sleep-Ms", sleep));
            return FaultClient.post(app.uri(path), key, FaultClient.item(item), timeout, headers.toArray(String[]::new));
        }
    }
}
