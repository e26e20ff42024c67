package dev.idempotency.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.ClaimStrategy;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.testing.TestDatabase;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What only the optimistic claim does, over HTTP on a real database: concurrent duplicates each run their handler
 * and exactly one effect commits; a key held by a default claim or a lease on the same table (two application
 * instances during a rolling change of {@code idempotency.claim}) is answered as the record says. Run against each
 * database by a subclass.
 */
abstract class OptimisticClaimScenarios {

    private final List<OrdersApp> apps = new ArrayList<>();

    /** The database under test. */
    protected abstract TestDatabase database();

    /** The SQL of a count of the sessions that wait for another transaction's lock, on this engine. */
    protected abstract String lockWaitsQuery();

    /** Waits until some session waits for a lock: the duplicate's insert, waiting for the holder. */
    private void awaitALockWait() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try (Connection c = database().dataSource().getConnection(); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery(lockWaitsQuery())) {
                rs.next();
                if (rs.getInt(1) > 0) {
                    return;
                }
            }
            assertTrue(System.nanoTime() < deadline, "no session came to wait for the holder's lock");
            Thread.sleep(5);
        }
    }

    /** An application instance on the database, with {@code claim} and {@code leasePaths}. */
    protected OrdersApp start(ClaimStrategy claim, String... leasePaths) throws Exception {
        OrdersApp app = OrdersApp.start(database().dataSource(), IdempotencyConfig.custom().claim(claim)
                .leasePaths(leasePaths).purgeInterval(Duration.ZERO).build());
        apps.add(app);
        return app;
    }

    @AfterEach
    void stopApps() throws Exception {
        for (OrdersApp app : apps) {
            app.close();
        }
    }

    protected static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    private static String order(String item) {
        return "{\"item\":\"" + item + "\"}";
    }

    private static CompletableFuture<HttpResponse<String>> postAsync(OrdersApp app, String key, String item,
            String... headers) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return Http.post(app.uri("/orders"), key, "client-a", order(item), headers);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static boolean replayed(HttpResponse<String> response) {
        return "true".equals(response.headers().firstValue("Idempotent-Replayed").orElse(null));
    }

    private static void awaitRuns(OrdersApp app, int runs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (app.handlerRuns.get() < runs) {
            assertTrue(System.nanoTime() < deadline, "the handler ran " + app.handlerRuns.get() + " times, not " + runs);
            Thread.sleep(5);
        }
    }

    /**
     * Both duplicates run their handler and insert their row, uncommitted; the first to insert the record commits,
     * the other's insert fails on it (or waits for it, then fails), its row is rolled back, and it replays the first.
     */
    @Test
    void concurrentDuplicatesBothRunAndExactlyOneEffectCommits() throws Exception {
        OrdersApp app = start(ClaimStrategy.OPTIMISTIC);
        String key = unique("key");
        String item = unique("item");
        String gate = unique("gate");
        CompletableFuture<HttpResponse<String>> a = postAsync(app, key, item, "X-Test-Gate", gate);
        CompletableFuture<HttpResponse<String>> b = postAsync(app, key, item, "X-Test-Gate", gate);
        app.gate(gate).awaitArrivals(2);
        app.gate(gate).open();
        HttpResponse<String> first = a.get(60, TimeUnit.SECONDS);
        HttpResponse<String> second = b.get(60, TimeUnit.SECONDS);

        assertEquals(201, first.statusCode(), first.body());
        assertEquals(201, second.statusCode(), second.body());
        assertTrue(replayed(first) ^ replayed(second), "exactly one of the two is a replay");
        assertEquals(first.body(), second.body(), "the replay carries the committed request's answer");
        assertEquals(2, app.handlerRuns.get(), "both handlers ran");
        assertEquals(1, app.orders(item), "exactly one effect");
        assertEquals(1, app.records(key));
    }

    @Test
    void sameKeyWithAnotherRequestIs422AndItsWriteIsRolledBack() throws Exception {
        OrdersApp app = start(ClaimStrategy.OPTIMISTIC);
        String key = unique("key");
        String item = unique("item");
        String other = unique("other");
        assertEquals(201, Http.post(app.uri("/orders"), key, "client-a", order(item)).statusCode());
        HttpResponse<String> reused = Http.post(app.uri("/orders"), key, "client-a", order(other));
        assertEquals(422, reused.statusCode(), reused.body());
        assertEquals(2, app.handlerRuns.get(), "the handler ran before the record was found");
        assertEquals(0, app.orders(other), "and its insert was rolled back");
        assertEquals(1, app.orders(item));
    }

    /**
     * During a rolling change: an instance with the default claim holds the key (its handler is running); a
     * duplicate reaches an instance with the optimistic claim, runs its handler, and its record's insert waits for
     * the holder (PostgreSQL: the key's advisory lock; H2 and MariaDB: the holder's uncommitted row). The holder
     * commits: the duplicate's insert fails, its row is rolled back, and it replays the holder's answer. The test
     * sees the duplicate wait for the holder's lock before it lets the holder go on.
     */
    @Test
    void duplicateOfARequestHeldByTheDefaultClaimReplaysItOnceItCommits() throws Exception {
        OrdersApp pessimistic = start(ClaimStrategy.PESSIMISTIC);
        OrdersApp optimistic = start(ClaimStrategy.OPTIMISTIC);
        String key = unique("key");
        String item = unique("item");
        String gate = unique("gate");
        CompletableFuture<HttpResponse<String>> holder = postAsync(pessimistic, key, item, "X-Test-Gate", gate);
        pessimistic.gate(gate).awaitArrivals(1);
        CompletableFuture<HttpResponse<String>> duplicate = postAsync(optimistic, key, item);
        awaitRuns(optimistic, 1);
        awaitALockWait();
        pessimistic.gate(gate).open();

        HttpResponse<String> first = holder.get(60, TimeUnit.SECONDS);
        HttpResponse<String> second = duplicate.get(60, TimeUnit.SECONDS);
        assertEquals(201, first.statusCode(), first.body());
        assertFalse(replayed(first), "the holder ran");
        assertEquals(201, second.statusCode(), second.body());
        assertTrue(replayed(second), "the duplicate replays the holder's answer");
        assertEquals(first.body(), second.body());
        assertEquals(1, optimistic.handlerRuns.get(), "the duplicate ran once; the record answered it then");
        assertEquals(1, pessimistic.orders(item), "exactly one effect");
    }

    /**
     * As above, but the holder fails and rolls back: the duplicate's insert then succeeds, and its own run is the
     * one effect. Its client gets its own answer, not a replay: no outcome of the key was ever stored before it.
     */
    @Test
    void duplicateOfARequestHeldByTheDefaultClaimCommitsItsOwnEffectIfTheHolderRollsBack() throws Exception {
        OrdersApp pessimistic = start(ClaimStrategy.PESSIMISTIC);
        OrdersApp optimistic = start(ClaimStrategy.OPTIMISTIC);
        String key = unique("key");
        String item = unique("item");
        String gate = unique("gate");
        CompletableFuture<HttpResponse<String>> holder = postAsync(pessimistic, key, item, "X-Test-Gate", gate,
                "X-Test-Throw", "1");
        pessimistic.gate(gate).awaitArrivals(1);
        CompletableFuture<HttpResponse<String>> duplicate = postAsync(optimistic, key, item);
        awaitRuns(optimistic, 1);
        awaitALockWait();
        pessimistic.gate(gate).open();

        assertEquals(500, holder.get(60, TimeUnit.SECONDS).statusCode());
        HttpResponse<String> second = duplicate.get(60, TimeUnit.SECONDS);
        assertEquals(201, second.statusCode(), second.body());
        assertFalse(replayed(second), "the duplicate's own run is the effect");
        assertEquals(1, pessimistic.orders(item), "exactly one effect: the holder's row was rolled back");
        assertEquals(1, pessimistic.records(key));
        HttpResponse<String> retry = Http.post(optimistic.uri("/orders"), key, "client-a", order(item));
        assertTrue(replayed(retry));
        assertEquals(second.body(), retry.body());
    }

    /**
     * A lease-mode request's in-progress record is committed: an optimistic request of the same key meets it at its
     * insert, rolls back, and is answered 409 with the rest of the lease, as the default claim answers; its retry
     * after the lease-mode request finished replays it.
     */
    @Test
    void keyInProgressUnderALeaseIs409ThenReplayed() throws Exception {
        OrdersApp leased = start(ClaimStrategy.PESSIMISTIC, "/orders");
        OrdersApp optimistic = start(ClaimStrategy.OPTIMISTIC);
        String key = unique("key");
        String item = unique("item");
        String gate = unique("gate");
        CompletableFuture<HttpResponse<String>> holder = postAsync(leased, key, item, "X-Test-Gate", gate);
        leased.gate(gate).awaitArrivals(1);

        HttpResponse<String> busy = Http.post(optimistic.uri("/orders"), key, "client-a", order(item));
        assertEquals(409, busy.statusCode(), busy.body());
        assertTrue(busy.headers().firstValue("Retry-After").isPresent());
        assertEquals(1, optimistic.handlerRuns.get());

        leased.gate(gate).open();
        HttpResponse<String> first = holder.get(60, TimeUnit.SECONDS);
        assertEquals(201, first.statusCode(), first.body());
        HttpResponse<String> retry = Http.post(optimistic.uri("/orders"), key, "client-a", order(item));
        assertTrue(replayed(retry), retry.body());
        assertEquals(first.body(), retry.body());
        assertEquals(1, leased.orders(item), "the lease-mode handler's row; the optimistic runs were rolled back");
    }
}
