package dev.idempotency.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.ClaimStrategy;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.testing.MutableClock;
import dev.idempotency.store.ExpiredRecordPurger;
import dev.idempotency.testing.TestDatabase;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The filter and the JDBC store together, over HTTP: the handler's own row and the stored outcome
 * commit together or not at all. Run against each database by a subclass, with the default claim, and again
 * with the optimistic claim by a subclass of that ({@link #claim()}).
 */
abstract class TransactionalFilterScenarios {

    protected OrdersApp app;

    /** The database under test. */
    protected abstract TestDatabase database();

    /** The claim of transaction-mode requests under test: the default, unless a subclass says otherwise. */
    protected ClaimStrategy claim() {
        return ClaimStrategy.PESSIMISTIC;
    }

    /** Starts the app with {@code config} and the {@link #claim()} under test. */
    protected OrdersApp start(IdempotencyConfig config) throws Exception {
        app = OrdersApp.start(database().dataSource(), IdempotencyConfig.from(config).claim(claim()).build());
        return app;
    }

    protected OrdersApp start() throws Exception {
        return start(IdempotencyConfig.custom().purgeInterval(Duration.ZERO).build());
    }

    @AfterEach
    void stopApp() throws Exception {
        if (app != null) {
            app.close();
        }
    }

    protected static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    protected static String order(String item) {
        return "{\"item\":\"" + item + "\"}";
    }

    @Test
    void businessRowAndStoredOutcomeCommitTogether() throws Exception {
        start();
        String key = unique("key");
        String item = unique("item");
        HttpResponse<String> first = Http.post(app.uri("/orders"), key, "client-a", order(item));
        assertEquals(201, first.statusCode(), first.body());
        assertEquals(1, app.orders(item));
        assertEquals(1, app.records(key));
    }

    @Test
    void retryReplaysTheOutcomeWithoutWritingASecondRow() throws Exception {
        start();
        String key = unique("key");
        String item = unique("item");
        HttpResponse<String> first = Http.post(app.uri("/orders"), key, "client-a", order(item));
        HttpResponse<String> retry = Http.post(app.uri("/orders"), key, "client-a", order(item));
        assertEquals(201, retry.statusCode());
        assertEquals(first.body(), retry.body());
        assertEquals(first.headers().firstValue("Location"), retry.headers().firstValue("Location"));
        assertEquals("true", retry.headers().firstValue("Idempotent-Replayed").orElse(null));
        assertEquals(1, app.orders(item));
        // The optimistic claim claims nothing before the handler: the retry's handler runs, and its insert is
        // rolled back when the record is found.
        assertEquals(claim() == ClaimStrategy.OPTIMISTIC ? 2 : 1, app.handlerRuns.get());
    }

    @Test
    void handlerExceptionRollsBackItsInsertAndFreesTheKey() throws Exception {
        start();
        String key = unique("key");
        String item = unique("item");
        HttpResponse<String> failed = Http.post(app.uri("/orders"), key, "client-a", order(item), "X-Test-Throw", "1");
        assertEquals(500, failed.statusCode());
        assertEquals(0, app.orders(item), "the insert before the exception must be rolled back");
        assertEquals(0, app.records(key));

        HttpResponse<String> retry = Http.post(app.uri("/orders"), key, "client-a", order(item));
        assertEquals(201, retry.statusCode());
        assertTrue(retry.headers().firstValue("Idempotent-Replayed").isEmpty());
        assertEquals(1, app.orders(item));
    }

    @Test
    void serverErrorStatusRollsBackItsInsertAndFreesTheKey() throws Exception {
        start();
        String key = unique("key");
        String item = unique("item");
        HttpResponse<String> failed = Http.post(app.uri("/orders"), key, "client-a", order(item), "X-Test-Status", "503");
        assertEquals(503, failed.statusCode(), "the handler's own answer is sent");
        assertEquals(0, app.orders(item));

        assertEquals(201, Http.post(app.uri("/orders"), key, "client-a", order(item)).statusCode());
        assertEquals(1, app.orders(item));
        assertEquals(2, app.handlerRuns.get());
    }

    @Test
    void clientErrorStatusIsStoredWithItsEffects() throws Exception {
        start();
        String key = unique("key");
        String item = unique("item");
        HttpResponse<String> first = Http.post(app.uri("/orders"), key, "client-a", order(item), "X-Test-Status", "409");
        HttpResponse<String> retry = Http.post(app.uri("/orders"), key, "client-a", order(item));
        assertEquals(409, first.statusCode());
        assertEquals(409, retry.statusCode());
        assertEquals("true", retry.headers().firstValue("Idempotent-Replayed").orElse(null));
        assertEquals(1, app.orders(item), "a stored 4xx commits what its handler wrote");
    }

    @Test
    void responseTooLargeToStoreRollsBackItsInsertAndFreesTheKey() throws Exception {
        start(IdempotencyConfig.custom().maxResponseBytes(1024).purgeInterval(Duration.ZERO).build());
        String key = unique("key");
        String item = unique("item");
        HttpResponse<String> tooLarge = Http.post(app.uri("/orders"), key, "client-a", order(item),
                "X-Test-Body-Bytes", "5000");
        assertEquals(500, tooLarge.statusCode());
        assertEquals("application/problem+json", tooLarge.headers().firstValue("Content-Type").orElse(null));
        assertTrue(tooLarge.body().contains("response-too-large"), tooLarge.body());
        assertEquals(0, app.orders(item));
        assertEquals(0, app.records(key));

        assertEquals(201, Http.post(app.uri("/orders"), key, "client-a", order(item)).statusCode());
        assertEquals(1, app.orders(item));
    }

    @Test
    void handlerCannotCommitTheRequestTransactionOnItsOwn() throws Exception {
        start();
        String key = unique("key");
        String item = unique("item");
        HttpResponse<String> refused = Http.post(app.uri("/orders"), key, "client-a", order(item), "X-Test-Commit", "1");
        assertEquals(500, refused.statusCode(), "commit() inside the request throws, so the handler fails");
        assertEquals(0, app.orders(item), "nothing became durable without its stored outcome");
        assertEquals(0, app.records(key));
    }

    @Test
    void keyRunsAgainAfterItsTimeToLiveAndThePurgeRemovesItsRecord() throws Exception {
        MutableClock clock = MutableClock.at(Instant.parse("2030-01-01T00:00:00Z"));
        IdempotencyConfig config = IdempotencyConfig.custom().keyTtl(Duration.ofHours(1)).clock(clock)
                .purgeInterval(Duration.ZERO).build();
        start(config);
        String key = unique("key");
        String item = unique("item");
        assertEquals(201, Http.post(app.uri("/orders"), key, "client-a", order(item)).statusCode());
        clock.advance(Duration.ofMinutes(59));
        assertEquals("true", Http.post(app.uri("/orders"), key, "client-a", order(item))
                .headers().firstValue("Idempotent-Replayed").orElse(null), "still live before its TTL");

        clock.advance(Duration.ofMinutes(1));
        HttpResponse<String> afterTtl = Http.post(app.uri("/orders"), key, "client-a", order(item));
        assertEquals(201, afterTtl.statusCode());
        assertNull(afterTtl.headers().firstValue("Idempotent-Replayed").orElse(null), "expired: runs again");
        assertEquals(2, app.orders(item));
        assertEquals(1, app.records(key), "the expired record was taken over, not duplicated");

        clock.advance(Duration.ofHours(2));
        long purged = ExpiredRecordPurger.create(app.store(), config).purgeNow();
        assertTrue(purged >= 1, "purged " + purged);
        assertEquals(0, app.records(key));
    }

    @Test
    void requestsTheProtocolDoesNotCoverWriteThroughThePoolAsUsual() throws Exception {
        start(IdempotencyConfig.custom().required(false).purgeInterval(Duration.ZERO).build());
        String item = unique("item");
        HttpResponse<String> noKey = Http.post(app.uri("/orders"), null, null, order(item), "X-Test-Throw", "1");
        assertEquals(500, noKey.statusCode());
        assertEquals(1, app.orders(item), "without a key the handler's connection is the pool's, in auto-commit");
    }

    @Test
    void differentClientsWithTheSameKeyEachGetTheirOwnEffect() throws Exception {
        start();
        String key = unique("key");
        String item = unique("item");
        HttpResponse<String> a = Http.post(app.uri("/orders"), key, "client-a", order(item));
        HttpResponse<String> b = Http.post(app.uri("/orders"), key, "client-b", order(item));
        assertEquals(201, b.statusCode());
        assertTrue(b.headers().firstValue("Idempotent-Replayed").isEmpty(), "client B never sees A's record");
        assertNotEquals(a.body(), b.body());
        assertEquals(2, app.orders(item));
    }
}
