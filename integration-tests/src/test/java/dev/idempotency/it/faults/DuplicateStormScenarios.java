package dev.idempotency.it.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.ClaimStrategy;
import dev.idempotency.ConcurrentRequestPolicy;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.testing.EffectLedger;
import dev.idempotency.testing.FaultSettings;
import dev.idempotency.testing.TestDatabase;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The duplicate storm: {@value #COPIES} concurrent requests with the same key and body, released at once,
 * for {@value #KEYS} keys ({@value #KEYS_AT_ONCE} storms side by side), while the first request of each key
 * sits in its handler for {@value #HANDLER_MILLIS} ms. Each key must take effect exactly once (one row, one
 * handler run); no copy may get a 5xx. In reject mode every other copy gets 409 {@code in-progress} with
 * {@code Retry-After}, or, arriving after the first finished, the replayed outcome; in wait mode every copy
 * gets the one outcome. {@code -Dfault.duration} repeats the rounds until that much time has passed.
 *
 * <p>With the optimistic claim ({@link #claim()}) every copy runs its handler, each in its own transaction; one
 * commits, and every other one is rolled back at its record's insert and replays it, in either mode: no copy is
 * told 409, since by the time a copy's insert fails the first one's record is committed. The effect is still once
 * per key. Each copy then holds a connection for its handler's whole run, so there the handler sits
 * {@value #OPTIMISTIC_HANDLER_MILLIS} ms: the copies contend all the same, since each one inserts the key's record,
 * and the storm does not wait its turn in the pool for long; and there are {@value #OPTIMISTIC_KEYS} keys, not
 * {@value #KEYS}, as each copy's handler run and rollback costs about what the first one's does.
 */
abstract class DuplicateStormScenarios {

    static final int COPIES = 64;
    static final int KEYS = 20;
    static final int OPTIMISTIC_KEYS = 8;
    static final int KEYS_AT_ONCE = 4;
    static final String HANDLER_MILLIS = "200";
    static final String OPTIMISTIC_HANDLER_MILLIS = "20";

    private FaultApp app;

    protected abstract TestDatabase database();

    protected abstract String databaseName();

    /** The claim of the storm's requests: the default, unless a subclass says otherwise. */
    protected ClaimStrategy claim() {
        return ClaimStrategy.PESSIMISTIC;
    }

    @AfterEach
    void stopApp() throws Exception {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void stormInRejectModeTakesEffectOncePerKeyAndAnswersEveryOtherCopy409OrTheReplay() throws Exception {
        storm(ConcurrentRequestPolicy.REJECT);
    }

    @Test
    void stormInWaitModeTakesEffectOncePerKeyAndGivesEveryCopyTheOneOutcome() throws Exception {
        storm(ConcurrentRequestPolicy.WAIT);
    }

    private void storm(ConcurrentRequestPolicy policy) throws Exception {
        app = FaultApp.start(JdbcIdempotencyStore.create(database().dataSource()), IdempotencyConfig.custom()
                .concurrent(policy).waitTimeout(Duration.ofSeconds(30)).purgeInterval(Duration.ZERO).claim(claim())
                .build(), null);
        boolean optimistic = claim() == ClaimStrategy.OPTIMISTIC;
        String prefix = "storm-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        EffectLedger ledger = new EffectLedger("duplicate storm, " + COPIES + " concurrent copies per key | "
                + databaseName() + " | transaction mode, " + policy.name().toLowerCase(Locale.ROOT)
                + (optimistic ? ", optimistic claim" : "") + ": effect = rows in fault_orders");
        long until = System.nanoTime() + FaultSettings.duration(Duration.ZERO).toNanos();
        ExecutorService senders = Executors.newFixedThreadPool(KEYS_AT_ONCE * COPIES);
        List<String> items = new ArrayList<>();
        try {
            do {
                int keys = optimistic ? OPTIMISTIC_KEYS : KEYS;
                for (int round = 0; round < keys / KEYS_AT_ONCE; round++) {
                    Map<String, List<HttpResponse<String>>> answers = round(senders, prefix, items.size());
                    for (Map.Entry<String, List<HttpResponse<String>>> storm : answers.entrySet()) {
                        items.add(storm.getKey());
                        ledger.action(storm.getKey());
                        judge(optimistic ? null : policy, storm.getKey(), storm.getValue(), ledger);
                    }
                }
            } while (System.nanoTime() < until);
        } finally {
            senders.shutdownNow();
        }
        Effects.countOrders(database().dataSource(), prefix, ledger, items);
        ledger.note("handler-runs", app.handlerRuns.get());
        ledger.printAndAssertExactlyOnce();
        if (optimistic) {
            assertEquals(items.size() * COPIES, app.handlerRuns.get(), "one handler run per copy, none run again: a "
                    + "copy whose insert failed found the first one's record committed");
        } else {
            assertEquals(items.size(), app.handlerRuns.get(), "one handler run per key, whatever the copies");
        }
        assertEquals(0, Effects.inProgressRecords(database().dataSource()));
    }

    /** {@value #KEYS_AT_ONCE} keys, {@value #COPIES} copies each, all released by one latch. */
    private Map<String, List<HttpResponse<String>>> round(ExecutorService senders, String prefix, int first)
            throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        Map<String, List<Future<HttpResponse<String>>>> futures = new LinkedHashMap<>();
        for (int k = 0; k < KEYS_AT_ONCE; k++) {
            String item = prefix + (first + k);
            String key = UUID.randomUUID().toString();
            List<Future<HttpResponse<String>>> copies = new ArrayList<>();
            for (int c = 0; c < COPIES; c++) {
                copies.add(senders.submit(() -> {
                    go.await();
                    return FaultClient.send(FaultClient.post(app.uri("/orders"), key, FaultClient.item(item),
                            Duration.ofSeconds(60), "X-Test-Sleep-Ms",
                            claim() == ClaimStrategy.OPTIMISTIC ? OPTIMISTIC_HANDLER_MILLIS : HANDLER_MILLIS));
                }));
            }
            futures.put(item, copies);
        }
        go.countDown();
        Map<String, List<HttpResponse<String>>> answers = new LinkedHashMap<>();
        for (Map.Entry<String, List<Future<HttpResponse<String>>>> entry : futures.entrySet()) {
            List<HttpResponse<String>> responses = new ArrayList<>();
            for (Future<HttpResponse<String>> future : entry.getValue()) {
                responses.add(future.get());
            }
            answers.put(entry.getKey(), responses);
        }
        return answers;
    }

    /** Judges one key's answers; {@code policy} is the policy under which a 409 may answer, or {@code null}: none. */
    private static void judge(ConcurrentRequestPolicy policy, String item, List<HttpResponse<String>> responses,
            EffectLedger ledger) {
        List<HttpResponse<String>> firsts = new ArrayList<>();
        List<HttpResponse<String>> replays = new ArrayList<>();
        for (HttpResponse<String> response : responses) {
            int status = response.statusCode();
            ledger.answer(status);
            assertTrue(status < 500, () -> "a copy got " + status + ": " + response.body());
            if (status == 201) {
                (FaultClient.isReplay(response) ? replays : firsts).add(response);
            } else {
                assertEquals(ConcurrentRequestPolicy.REJECT, policy, () -> "in wait mode, and with the optimistic "
                        + "claim, every copy gets the outcome, not " + status + " " + response.body());
                assertEquals(409, status, response::body);
                assertTrue(response.body().contains("urn:idempotency:problem:in-progress"), response.body());
                assertTrue(response.headers().firstValue("Retry-After").isPresent(), "Retry-After on every 409");
            }
        }
        assertEquals(1, firsts.size(), () -> "exactly one copy ran the handler for " + item);
        String outcome = firsts.get(0).body();
        replays.forEach(replay -> assertEquals(outcome, replay.body(), "a replay is the first outcome"));
        ledger.note("first-answers", firsts.size());
        ledger.note("replays", replays.size());
    }
}
