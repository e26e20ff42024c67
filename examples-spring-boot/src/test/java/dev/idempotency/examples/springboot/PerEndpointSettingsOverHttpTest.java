package dev.idempotency.examples.springboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyContext;
import dev.idempotency.spring.Idempotent;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.Profile;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * Settings per endpoint, as docs/spring-boot.md shows them: {@link Idempotent} on handler methods, and
 * {@code idempotency.endpoints.*} rules by path (application-per-endpoint.properties). The example with handlers
 * added in a profile of this test's own, on Spring Boot's in-memory H2.
 */
class PerEndpointSettingsOverHttpTest {

    static final String PROFILE = "per-endpoint";
    private static final String CLIENT = "client-a";

    private static RunningApplication app;

    /** Handlers with settings of their own; active only in this test's profile. */
    @RestController
    @Profile(PROFILE)
    static class Handlers {

        private final AtomicLong runs = new AtomicLong();
        private final OrderService orders;
        private final JdbcTemplate jdbc;

        Handlers(OrderService orders, JdbcTemplate jdbc) {
            this.orders = orders;
            this.jdbc = jdbc;
        }

        // tag::idempotent[]
        /** PUT is not in idempotency.methods (POST, PATCH), but the annotation covers this one. */
        @PutMapping("/carts/{id}")
        @Idempotent
        public Map<String, Object> replaceCart(@PathVariable long id, @RequestBody Map<String, Object> cart) {
            return Map.of("cart", id, "run", runs.incrementAndGet());
        }

        /** A POST that changes nothing: taken out of the protocol, so it needs no key. */
        @PostMapping("/orders/search")
        @Idempotent(enabled = false)
        public Map<String, Object> search(@RequestBody Map<String, Object> query) {
            return Map.of("results", 0);
        }

        /** A call that leaves the database: lease mode, and keys kept 2 hours. */
        @PostMapping("/payments")
        @Idempotent(mode = Idempotent.Mode.LEASE, keyTtl = "2h")
        public ResponseEntity<Map<String, Object>> pay(@RequestBody Map<String, Object> payment) {
            IdempotencyContext request = IdempotencyContext.current().orElseThrow();
            // The same for every retry of this request: pass it to the provider as its idempotency key.
            String chargeKey = request.derivedKey("charge");
            return ResponseEntity.status(201).body(Map.of("chargeKey", chargeKey, "mode", request.mode().name(),
                    "run", runs.incrementAndGet()));
        }
        // end::idempotent[]

        /**
         * Lease mode and a {@code @Transactional} service: the service's transaction is its own, committed when it
         * returns, before the answer is stored. Reports whether a transaction is active here, and whether another
         * connection already sees the order.
         */
        @PostMapping("/lease-writes")
        @Idempotent(mode = Idempotent.Mode.LEASE)
        public Map<String, Object> leaseWrites(@RequestHeader("Idempotency-Key") String key) throws Exception {
            orders.place("written in lease mode", key);
            long committed = CompletableFuture.supplyAsync(() -> jdbc.queryForObject(
                    "SELECT count(*) FROM orders WHERE idempotency_key = ?", Long.class, key)).get();
            return Map.of("transactionActive", TransactionSynchronizationManager.isActualTransactionActive(),
                    "committedBeforeTheAnswer", committed);
        }

        /** Reached by the path rules only (idempotency.endpoints.legacy: enabled=false). */
        @PostMapping("/legacy/import")
        public Map<String, Object> legacyImport(@RequestBody Map<String, Object> data) {
            return Map.of("covered", IdempotencyContext.current().isPresent());
        }

        /** Reached by the path rules only (idempotency.endpoints.imports: key-ttl=30d). */
        @PostMapping("/imports/orders")
        public Map<String, Object> importOrders(@RequestBody Map<String, Object> data) {
            return Map.of("run", runs.incrementAndGet());
        }
    }

    @BeforeAll
    static void start() {
        app = RunningApplication.start(Map.of(), PROFILE);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    private static String key() {
        return UUID.randomUUID().toString();
    }

    private static Duration storedTimeToLive(String key, Instant before) {
        Instant expires = app.jdbc().queryForObject(
                "SELECT expires_at FROM idempotency_record WHERE idempotency_key = ?", Timestamp.class, key).toInstant();
        return Duration.between(before, expires);
    }

    private static void assertAbout(Duration expected, Duration actual) {
        assertTrue(actual.compareTo(expected.minusMinutes(1)) > 0 && actual.compareTo(expected.plusMinutes(1)) < 0,
                () -> "stored time to live " + actual + ", expected " + expected);
    }

    @Test
    void theAnnotationCoversAPut() throws Exception {
        HttpResponse<String> keyless = app.send("PUT", "/carts/7", "application/json", "{}", "X-Api-Key", CLIENT);
        assertEquals(400, keyless.statusCode(), keyless::body);

        String key = key();
        HttpResponse<String> first = app.send("PUT", "/carts/7", "application/json", "{}", "Idempotency-Key", key,
                "X-Api-Key", CLIENT);
        HttpResponse<String> retry = app.send("PUT", "/carts/7", "application/json", "{}", "Idempotency-Key", key,
                "X-Api-Key", CLIENT);
        assertEquals(200, first.statusCode(), first::body);
        assertEquals(Optional.of("true"), retry.headers().firstValue("Idempotent-Replayed"));
        assertEquals(first.body(), retry.body(), "the handler ran once");
    }

    @Test
    void theAnnotationTakesAPostOutOfTheProtocol() throws Exception {
        HttpResponse<String> search = app.post("/orders/search", "{}", "X-Api-Key", CLIENT);
        assertEquals(200, search.statusCode(), search::body);
    }

    @Test
    void theAnnotationRunsAnEndpointInLeaseModeWithItsOwnTimeToLive() throws Exception {
        String key = key();
        Instant before = Instant.now();
        HttpResponse<String> paid = app.post("/payments", "{\"amount\":5}", "Idempotency-Key", key, "X-Api-Key", CLIENT);
        assertEquals(201, paid.statusCode(), paid::body);
        assertTrue(paid.body().contains("\"mode\":\"LEASE\""), paid::body);
        assertAbout(Duration.ofHours(2), storedTimeToLive(key, before));

        HttpResponse<String> retry = app.post("/payments", "{\"amount\":5}", "Idempotency-Key", key, "X-Api-Key", CLIENT);
        assertEquals(Optional.of("true"), retry.headers().firstValue("Idempotent-Replayed"));
        assertEquals(paid.body(), retry.body(), "one run, one charge key");
    }

    @Test
    void inLeaseModeATransactionalServiceCommitsOnItsOwnBeforeTheAnswerIsStored() throws Exception {
        String key = key();
        HttpResponse<String> answer = app.post("/lease-writes", "{}", "Idempotency-Key", key, "X-Api-Key", CLIENT);
        assertEquals(200, answer.statusCode(), answer::body);
        assertTrue(answer.body().contains("\"transactionActive\":false"), answer::body);
        assertTrue(answer.body().contains("\"committedBeforeTheAnswer\":1"), answer::body);
    }

    @Test
    void aPathRuleTakesEndpointsOutOfTheProtocol() throws Exception {
        HttpResponse<String> imported = app.post("/legacy/import", "{}", "X-Api-Key", CLIENT);
        assertEquals(200, imported.statusCode(), imported::body);
        assertTrue(imported.body().contains("\"covered\":false"), imported::body);
    }

    @Test
    void aPathRuleGivesEndpointsTheirOwnTimeToLive() throws Exception {
        String key = key();
        Instant before = Instant.now();
        HttpResponse<String> imported = app.post("/imports/orders", "{}", "Idempotency-Key", key, "X-Api-Key", CLIENT);
        assertEquals(200, imported.statusCode(), imported::body);
        assertFalse(imported.headers().firstValue("Idempotent-Replayed").isPresent());
        assertAbout(Duration.ofDays(30), storedTimeToLive(key, before));
    }
}
