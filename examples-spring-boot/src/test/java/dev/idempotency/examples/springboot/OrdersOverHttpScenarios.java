package dev.idempotency.examples.springboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.context.annotation.Primary;
import org.springframework.context.annotation.Profile;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The example over real HTTP, as it ships: the starter, its application.properties, its controller, its
 * {@code @Transactional} service and its JPA entity, with no configuration class. One application serves every
 * scenario of a class; each scenario uses keys of its own. Run on H2 and PostgreSQL.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OrdersOverHttpScenarios {

    static final String CLIENT = "client-a";

    /** Makes the example's service throw after saving, for the keys a test names; only in this profile. */
    static final String FAILING_SERVICE = "failing-service";

    private RunningApplication app;

    /** The {@code spring.datasource.*} properties of a database of the test class's own; empty for Boot's H2. */
    abstract Map<String, String> database();

    @BeforeAll
    void start() {
        app = RunningApplication.start(database(), FAILING_SERVICE);
    }

    @AfterAll
    void stop() {
        // Before a database extension drops its schema: the application's pool holds connections into it.
        if (app != null) {
            app.close();
        }
    }

    /**
     * The example's {@link OrderService}, throwing after its save for the keys {@link #failAfterSaving} was given:
     * what any {@code @Transactional} service does when something goes wrong after it wrote.
     */
    @Service
    @Primary
    @Profile(FAILING_SERVICE)
    static class OrderServiceFailingAfterItsSave extends OrderService {

        private final Set<String> failing = ConcurrentHashMap.newKeySet();

        OrderServiceFailingAfterItsSave(PurchaseOrderRepository repository) {
            super(repository);
        }

        /** The next order placed with {@code key} throws after it was saved. */
        public void failAfterSaving(String key) {
            failing.add(key);
        }

        @Override
        @Transactional
        public PurchaseOrder place(String item, String idempotencyKey) {
            PurchaseOrder placed = super.place(item, idempotencyKey);
            if (failing.remove(idempotencyKey)) {
                throw new IllegalStateException("Failing on purpose after saving order " + placed.getId());
            }
            return placed;
        }
    }

    private static String order(String item) {
        return "{\"item\":\"" + item + "\"}";
    }

    /** The running application, for scenarios of one database only. */
    RunningApplication application() {
        return app;
    }

    private HttpResponse<String> place(String key, String item) throws Exception {
        return app.post("/orders", order(item), "Idempotency-Key", key, "X-Api-Key", CLIENT);
    }

    private long records(String key) {
        Long count = app.jdbc().queryForObject("SELECT count(*) FROM idempotency_record WHERE idempotency_key = ?",
                Long.class, key);
        return count == null ? 0 : count;
    }

    @Test
    void aRetryGetsTheFirstAnswerReplayedAndTheOrderIsPlacedOnce() throws Exception {
        String key = UUID.randomUUID().toString();
        HttpResponse<String> first = place(key, "book");
        assertEquals(201, first.statusCode(), first::body);
        assertEquals(Optional.empty(), first.headers().firstValue("Idempotent-Replayed"));
        assertTrue(first.body().contains("\"item\":\"book\"") && first.body().contains("\"idempotencyKey\":\"" + key),
                first::body);
        String location = first.headers().firstValue("Location").orElseThrow();
        assertTrue(location.matches("/orders/\\d+"), location);

        HttpResponse<String> retry = place(key, "book");
        assertEquals(201, retry.statusCode(), retry::body);
        assertEquals(Optional.of("true"), retry.headers().firstValue("Idempotent-Replayed"));
        assertEquals(first.body(), retry.body());
        assertEquals(Optional.of(location), retry.headers().firstValue("Location"));
        assertEquals(first.headers().firstValue("Content-Type"), retry.headers().firstValue("Content-Type"));

        HttpResponse<String> placed = app.get(location);
        assertEquals(200, placed.statusCode(), placed::body);
        assertEquals(first.body(), placed.body(), "the answer describes the order that was committed");
        assertEquals(1, app.ordersPlacedWith(key));
    }

    @Test
    void aKeyReusedForAnotherOrderIs422AndPlacesNothing() throws Exception {
        String key = UUID.randomUUID().toString();
        assertEquals(201, place(key, "book").statusCode());
        HttpResponse<String> reused = place(key, "lamp");
        assertEquals(422, reused.statusCode(), reused::body);
        assertEquals(Optional.of("application/problem+json"), reused.headers().firstValue("Content-Type"));
        assertEquals(1, app.ordersPlacedWith(key));
    }

    @Test
    void aPostWithoutAKeyIs400AndPlacesNothing() throws Exception {
        long before = app.jdbc().queryForObject("SELECT count(*) FROM orders", Long.class);
        HttpResponse<String> keyless = app.post("/orders", order("pen"), "X-Api-Key", CLIENT);
        assertEquals(400, keyless.statusCode(), keyless::body);
        assertEquals(Optional.of("application/problem+json"), keyless.headers().firstValue("Content-Type"));
        assertTrue(keyless.body().contains("urn:idempotency:problem:missing-key"), keyless::body);
        assertEquals(before, app.jdbc().queryForObject("SELECT count(*) FROM orders", Long.class));
    }

    @Test
    void aPostWithoutTheClientHeaderIs400AndPlacesNothing() throws Exception {
        String key = UUID.randomUUID().toString();
        HttpResponse<String> anonymous = app.post("/orders", order("pen"), "Idempotency-Key", key);
        assertEquals(400, anonymous.statusCode(), anonymous::body);
        assertTrue(anonymous.body().contains("X-Api-Key"), anonymous::body);
        assertEquals(0, app.ordersPlacedWith(key));
    }

    @Test
    void eachClientsKeysAreItsOwn() throws Exception {
        String key = UUID.randomUUID().toString();
        HttpResponse<String> a = app.post("/orders", order("book"), "Idempotency-Key", key, "X-Api-Key", "client-a");
        HttpResponse<String> b = app.post("/orders", order("book"), "Idempotency-Key", key, "X-Api-Key", "client-b");
        assertEquals(201, a.statusCode(), a::body);
        assertEquals(201, b.statusCode(), b::body);
        assertFalse(b.headers().firstValue("Idempotent-Replayed").isPresent(), "client-b's request ran for client-b");
        assertNotEquals(a.headers().firstValue("Location"), b.headers().firstValue("Location"));
        assertEquals(2, app.ordersPlacedWith(key));
    }

    @Test
    void aThrowingTransactionalServiceRollsBackTheEntityAndFreesTheKey() throws Exception {
        String key = UUID.randomUUID().toString();
        app.context().getBean(OrderServiceFailingAfterItsSave.class).failAfterSaving(key);
        HttpResponse<String> failed = place(key, "vase");
        assertEquals(500, failed.statusCode(), failed::body);
        assertFalse(failed.headers().firstValue("Idempotent-Replayed").isPresent());
        assertEquals(0, app.ordersPlacedWith(key), "the saved entity was rolled back with the request");
        assertEquals(0, records(key), "nothing is stored for the key: it is free");

        HttpResponse<String> retry = place(key, "vase");
        assertEquals(201, retry.statusCode(), retry::body);
        assertFalse(retry.headers().firstValue("Idempotent-Replayed").isPresent(), "the retry ran the service again");
        assertEquals(1, app.ordersPlacedWith(key));
    }

    @Test
    void theKeyTtlOfApplicationPropertiesIsTheStoredRecordsTimeToLive() throws Exception {
        String key = UUID.randomUUID().toString();
        Instant before = Instant.now();
        assertEquals(201, place(key, "clock").statusCode());
        Instant after = Instant.now();
        Instant expires = app.jdbc().queryForObject(
                "SELECT expires_at FROM idempotency_record WHERE idempotency_key = ?", Timestamp.class, key).toInstant();
        // idempotency.key-ttl=12h in the example's application.properties; a minute either way for the clocks.
        Duration ttl = Duration.ofHours(12);
        assertTrue(expires.isAfter(before.plus(ttl).minusSeconds(60)) && expires.isBefore(after.plus(ttl).plusSeconds(60)),
                () -> "expires_at " + expires + ", stored between " + before + " and " + after);
    }
}
