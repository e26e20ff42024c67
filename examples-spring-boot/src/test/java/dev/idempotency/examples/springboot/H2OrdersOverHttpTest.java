package dev.idempotency.examples.springboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.TransactionJoiningDataSource;
import dev.idempotency.testing.H2DatabaseExtension;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.jdbc.core.JdbcTemplate;

/** The example on embedded Tomcat 11 with an in-memory H2 database, over real HTTP. */
class H2OrdersOverHttpTest {

    @RegisterExtension
    static final H2DatabaseExtension DB = H2DatabaseExtension.create();

    private static RunningApplication app;

    @BeforeAll
    static void start() {
        app = RunningApplication.start(Map.of("app.datasource.url", DB.jdbcUrl(),
                "app.datasource.username", DB.user(), "app.datasource.password", DB.password()));
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void replaysTheFirstAnswerAndInsertsOnce() throws Exception {
        OrdersScenarios.replaysTheFirstAnswerAndInsertsOnce(app);
    }

    @Test
    void rollsBackAThrowingHandlerAndRunsTheRetry() throws Exception {
        OrdersScenarios.rollsBackAThrowingHandlerAndRunsTheRetry(app);
    }

    @Test
    void refusesAPostWithoutAKeyWithAProblemDocument() throws Exception {
        String item = "pen-" + UUID.randomUUID();
        HttpResponse<String> refused = app.post("/orders", "{\"item\":\"" + item + "\"}",
                "X-Api-Key", OrdersScenarios.API_KEY);
        assertEquals(400, refused.statusCode(), refused::body);
        assertTrue(refused.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"),
                refused.headers()::toString);
        assertTrue(refused.body().contains("Idempotency-Key"), refused::body);
        assertEquals(0, app.ordersOf(item));
    }

    /**
     * Form-encoded PATCH bodies count in the fingerprint, so a different body is refused rather than
     * answered with the first one's outcome. PATCH /orders has no handler, so the answer is Spring MVC's
     * 405, a stored status, as a problem document, replayed with its {@code Allow} header.
     */
    @Test
    void fingerprintsFormEncodedPatchBodies() throws Exception {
        String key = UUID.randomUUID().toString();
        String form = "application/x-www-form-urlencoded";
        HttpResponse<String> first = app.send("PATCH", "/orders", form, "item=one",
                "Idempotency-Key", key, "X-Api-Key", OrdersScenarios.API_KEY);
        assertEquals(405, first.statusCode(), first::body);
        assertTrue(first.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"),
                first.headers()::toString);

        HttpResponse<String> otherBody = app.send("PATCH", "/orders", form, "item=two",
                "Idempotency-Key", key, "X-Api-Key", OrdersScenarios.API_KEY);
        assertEquals(422, otherBody.statusCode(), otherBody::body);

        HttpResponse<String> sameBody = app.send("PATCH", "/orders", form, "item=one",
                "Idempotency-Key", key, "X-Api-Key", OrdersScenarios.API_KEY);
        assertEquals(405, sameBody.statusCode(), sameBody::body);
        assertEquals(Optional.of("true"), sameBody.headers().firstValue("Idempotent-Replayed"));
        assertEquals(first.body(), sameBody.body());
        assertEquals(first.headers().firstValue("Allow"), sameBody.headers().firstValue("Allow"));
        assertTrue(sameBody.headers().firstValue("Allow").isPresent(), "a 405 must carry Allow, replayed too");
    }

    @Test
    void letsGetRequestsThroughUntouched() throws Exception {
        HttpResponse<String> list = app.get("/orders");
        assertEquals(200, list.statusCode(), list::body);
        assertTrue(list.body().startsWith("["), list::body);
    }

    @Test
    void theStoresTransactionJoiningDataSourceIsTheOnlyDataSource() {
        Map<String, DataSource> dataSources = app.context().getBeansOfType(DataSource.class);
        assertEquals(1, dataSources.size(), dataSources::toString);
        DataSource dataSource = dataSources.values().iterator().next();
        assertSame(app.context().getBean(JdbcIdempotencyStore.class).transactionalDataSource(), dataSource);
        assertSame(dataSource, app.context().getBean(JdbcTemplate.class).getDataSource());
        assertTrue(dataSource instanceof TransactionJoiningDataSource);
    }

    @Test
    void readsTheKeyTtlFromApplicationProperties() {
        assertEquals("24h", IdempotencyConfiguration.idempotencyProperties(app.context().getEnvironment())
                .get("idempotency.key-ttl"));
    }
}
