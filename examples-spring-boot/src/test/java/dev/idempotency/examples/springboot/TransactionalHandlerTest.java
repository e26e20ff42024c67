package dev.idempotency.examples.springboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.testing.H2DatabaseExtension;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.context.annotation.Profile;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Why {@link IdempotencyConfiguration} says not to put {@code @Transactional} on idempotent handlers: Spring's
 * commit at the end of the method reaches the request's connection, which refuses it, so the request fails
 * and its insert is rolled back with the claim. Nothing is half-committed.
 */
class TransactionalHandlerTest {

    static final String PROFILE = "transactional-handler";

    @RegisterExtension
    final H2DatabaseExtension db = H2DatabaseExtension.create();

    /** A handler written the way the documentation warns against; active only in this test's profile. */
    @RestController
    @Profile(PROFILE)
    static class TransactionalOrders {

        private final JdbcTemplate jdbc;

        TransactionalOrders(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @PostMapping("/transactional-orders")
        @Transactional
        public String create(@RequestBody OrdersController.NewOrder order) {
            jdbc.update("insert into orders (item) values (?)", order.item());
            return "created";
        }

        /** Answers 500 with the root cause's message, so the test can see who refused the commit. */
        @ExceptionHandler(TransactionSystemException.class)
        public ResponseEntity<String> commitRefused(TransactionSystemException e) {
            return ResponseEntity.internalServerError().body(e.getMostSpecificCause().getMessage());
        }
    }

    @Test
    void aTransactionalIdempotentHandlerFailsAndLeavesNoRow() throws Exception {
        try (RunningApplication app = RunningApplication.start(Map.of("app.datasource.url", db.jdbcUrl(),
                "app.datasource.username", db.user(), "app.datasource.password", db.password()), PROFILE)) {
            String item = "chair-" + UUID.randomUUID();
            HttpResponse<String> refused = app.post("/transactional-orders", "{\"item\":\"" + item + "\"}",
                    "Idempotency-Key", UUID.randomUUID().toString(), "X-Api-Key", OrdersScenarios.API_KEY);
            assertEquals(500, refused.statusCode(), refused::body);
            assertTrue(refused.body().startsWith("commit() is not allowed inside an idempotent request"),
                    refused::body);
            assertEquals(0, app.ordersOf(item));
        }
    }
}
