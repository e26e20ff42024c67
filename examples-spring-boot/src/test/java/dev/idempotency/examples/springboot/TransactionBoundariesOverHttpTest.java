package dev.idempotency.examples.springboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.jdbc.JdbcIdempotencyStore;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.Profile;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * What joins an idempotent request's transaction and what does not, as docs/spring-boot.md lists it: a handler
 * writes an order in six ways, then throws. The three writes that joined the request's transaction roll back with
 * it; the three made apart from it (REQUIRES_NEW, a connection taken from the DataSource directly, another thread)
 * are committed already, and stay. And a failure inside the request's transaction that the handler catches still
 * rolls everything back: the transaction can only roll back, so the handler's answer is neither stored nor sent.
 * The example with these handlers added in a profile of this test's own, on Spring Boot's in-memory H2.
 */
class TransactionBoundariesOverHttpTest {

    static final String PROFILE = "transaction-boundaries";

    private static RunningApplication app;

    /** An audit row in a transaction of its own; active only in this test's profile. */
    @Service
    @Profile(PROFILE)
    static class SeparateAudit {

        private final JdbcTemplate jdbc;

        SeparateAudit(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @Transactional(propagation = Propagation.REQUIRES_NEW)
        public void write(String item, String key) {
            jdbc.update("INSERT INTO orders (item, idempotency_key) VALUES (?, ?)", item, key);
        }
    }

    /** The handler that writes in every way, then throws; active only in this test's profile. */
    @RestController
    @Profile(PROFILE)
    static class WritesEveryWay {

        private final OrderService orders;
        private final SeparateAudit separateAudit;
        private final JdbcTemplate jdbc;
        private final DataSource dataSource;
        private final JdbcIdempotencyStore store;

        WritesEveryWay(OrderService orders, SeparateAudit separateAudit, JdbcTemplate jdbc, DataSource dataSource,
                JdbcIdempotencyStore store) {
            this.store = store;
            this.orders = orders;
            this.separateAudit = separateAudit;
            this.jdbc = jdbc;
            this.dataSource = dataSource;
        }

        @PostMapping("/writes-every-way")
        public void write(@RequestHeader("Idempotency-Key") String key) throws SQLException {
            orders.place("joined: @Transactional service", key);
            jdbc.update("INSERT INTO orders (item, idempotency_key) VALUES (?, ?)", "joined: JdbcTemplate", key);
            // tag::data-source-utils[]
            // Plain JDBC that joins the request's transaction: the connection Spring holds for it.
            Connection connection = DataSourceUtils.getConnection(dataSource);
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO orders (item, idempotency_key) VALUES (?, ?)")) {
                insert.setString(1, "joined: DataSourceUtils.getConnection");
                insert.setString(2, key);
                insert.executeUpdate();
            } finally {
                DataSourceUtils.releaseConnection(connection, dataSource);
            }
            // end::data-source-utils[]

            try (Connection handle = store.transactionalDataSource().getConnection();
                    PreparedStatement insert = handle.prepareStatement(
                            "INSERT INTO orders (item, idempotency_key) VALUES (?, ?)")) {
                insert.setString(1, "joined: the store's transactionalDataSource");
                insert.setString(2, key);
                insert.executeUpdate();
            }

            separateAudit.write("apart: REQUIRES_NEW", key);
            try (Connection own = dataSource.getConnection();
                    PreparedStatement insert = own.prepareStatement(
                            "INSERT INTO orders (item, idempotency_key) VALUES (?, ?)")) {
                insert.setString(1, "apart: DataSource.getConnection");
                insert.setString(2, key);
                insert.executeUpdate();
            }
            CompletableFuture.runAsync(() -> jdbc.update("INSERT INTO orders (item, idempotency_key) VALUES (?, ?)",
                    "apart: another thread", key)).join();
            throw new IllegalStateException("Failing on purpose after writing every way");
        }
    }

    /**
     * Catches the exception of a {@code @Transactional} method that joined the request's transaction, and answers
     * 201 as if nothing happened; active only in this test's profile.
     */
    @RestController
    @Profile(PROFILE)
    static class SwallowsAFailure {

        private final OrderService orders;
        private final FailingService failing;

        SwallowsAFailure(OrderService orders, FailingService failing) {
            this.orders = orders;
            this.failing = failing;
        }

        @PostMapping("/swallows-a-failure")
        public ResponseEntity<String> write(@RequestHeader("Idempotency-Key") String key) {
            orders.place("written before the failure", key);
            try {
                failing.fail();
            } catch (IllegalStateException e) {
                // Carries on: the answer says the order was placed.
            }
            return ResponseEntity.status(201).body("placed");
        }
    }

    /** A {@code @Transactional} method that throws; active only in this test's profile. */
    @Service
    @Profile(PROFILE)
    static class FailingService {

        @Transactional
        public void fail() {
            throw new IllegalStateException("Failing on purpose inside the request's transaction");
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

    @Test
    void whatJoinedRollsBackWithTheRequestAndWhatWasApartStays() throws Exception {
        String key = UUID.randomUUID().toString();
        HttpResponse<String> failed = app.post("/writes-every-way", "{}", "Idempotency-Key", key, "X-Api-Key", "c");
        assertEquals(500, failed.statusCode(), failed::body);
        List<String> committed = app.jdbc().queryForList("SELECT item FROM orders WHERE idempotency_key = ?",
                String.class, key).stream().sorted().toList();
        assertEquals(List.of("apart: DataSource.getConnection", "apart: REQUIRES_NEW", "apart: another thread"),
                committed);
    }

    @Test
    void anAnswerGivenAfterATransactionalMethodFailedIsNeitherStoredNorSent() throws Exception {
        String key = UUID.randomUUID().toString();
        HttpResponse<String> answer = app.post("/swallows-a-failure", "{}", "Idempotency-Key", key, "X-Api-Key", "c");
        assertEquals(500, answer.statusCode(), answer::body);
        assertEquals(Optional.of("application/problem+json"), answer.headers().firstValue("Content-Type"));
        assertTrue(answer.body().contains("urn:idempotency:problem:store-failure"), answer::body);
        assertEquals(0, app.ordersPlacedWith(key), "the request's transaction was rolled back");
        assertEquals(0L, app.jdbc().queryForObject("SELECT count(*) FROM idempotency_record WHERE idempotency_key = ?",
                Long.class, key), "nothing is stored for the key: it is free");
    }
}
