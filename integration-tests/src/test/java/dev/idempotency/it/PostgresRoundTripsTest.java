package dev.idempotency.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.ClaimStrategy;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.testing.PostgresDatabaseExtension;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The round trips one request makes to PostgreSQL, counted where the driver ends each one: a {@code Sync} message,
 * after which it waits for the server's answer (pgjdbc logs each at FINEST). The handler makes one insert. A new key
 * costs 3 with the default claim (the claim; the handler's insert with the {@code BEGIN}; the record's insert with
 * the {@code COMMIT}) and 2 with the optimistic claim (the handler's insert with the {@code BEGIN}; the key's lock,
 * the record's insert and the {@code COMMIT}). A replay costs 2 with the default claim (the claim, which finds the record, and its rollback) and 5 with
 * the optimistic one (the handler's insert, the flight that fails, its rollback, the usual claim and its rollback).
 */
class PostgresRoundTripsTest {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    private static final Logger DRIVER = Logger.getLogger("org.postgresql.core.v3.QueryExecutorImpl");

    @Test
    void newKeyCostsThreeRoundTripsWithTheDefaultClaim() throws Exception {
        assertEquals(3, roundTrips(ClaimStrategy.PESSIMISTIC, false));
    }

    @Test
    void newKeyCostsTwoRoundTripsWithTheOptimisticClaim() throws Exception {
        assertEquals(2, roundTrips(ClaimStrategy.OPTIMISTIC, false));
    }

    /** The claim that finds the record (its locks and the read), then the rollback of its transaction. */
    @Test
    void replayCostsTwoRoundTripsWithTheDefaultClaim() throws Exception {
        assertEquals(2, roundTrips(ClaimStrategy.PESSIMISTIC, true));
    }

    /**
     * The price of the optimistic claim on a retry: the handler's insert, the flight whose insert fails, its
     * rollback, then the usual claim that finds the record and its rollback.
     */
    @Test
    void replayCostsFiveRoundTripsWithTheOptimisticClaim() throws Exception {
        assertEquals(5, roundTrips(ClaimStrategy.OPTIMISTIC, true));
    }

    /**
     * The syncs of one request, after one before it (so the pool's connection is warm): a new key, or with
     * {@code retry} the same key and request again (a replay).
     */
    private static int roundTrips(ClaimStrategy claim, boolean retry) throws Exception {
        try (OrdersApp app = OrdersApp.start(DB.dataSource(), IdempotencyConfig.custom().claim(claim)
                .purgeInterval(Duration.ZERO).build())) {
            String key = UUID.randomUUID().toString();
            String body = "{\"item\":\"" + UUID.randomUUID() + "\"}";
            assertEquals(201, Http.post(app.uri("/orders"), key, "client-a", body).statusCode());
            List<String> syncs = new CopyOnWriteArrayList<>();
            Handler counter = new Handler() {
                @Override
                public void publish(LogRecord record) {
                    if (" FE=> Sync".equals(record.getMessage())) {
                        syncs.add(Thread.currentThread().getName());
                    }
                }

                @Override
                public void flush() {
                }

                @Override
                public void close() {
                }
            };
            Level level = DRIVER.getLevel();
            boolean parents = DRIVER.getUseParentHandlers();
            DRIVER.addHandler(counter);
            DRIVER.setUseParentHandlers(false); // the test's log file does not need every message of the protocol
            DRIVER.setLevel(Level.FINEST);
            HttpResponse<String> response;
            try {
                response = retry ? Http.post(app.uri("/orders"), key, "client-a", body) : post(app);
            } finally {
                DRIVER.setLevel(level);
                DRIVER.setUseParentHandlers(parents);
                DRIVER.removeHandler(counter);
            }
            assertEquals(201, response.statusCode(), response.body());
            assertEquals(retry, response.headers().firstValue("Idempotent-Replayed").isPresent());
            assertTrue(syncs.stream().distinct().count() <= 1, "one thread talked to the database: " + syncs);
            return syncs.size();
        }
    }

    private static HttpResponse<String> post(OrdersApp app) throws Exception {
        return Http.post(app.uri("/orders"), UUID.randomUUID().toString(), "client-a",
                "{\"item\":\"" + UUID.randomUUID() + "\"}");
    }
}
