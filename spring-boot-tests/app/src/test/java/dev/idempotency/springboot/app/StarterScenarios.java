package dev.idempotency.springboot.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.webhooks.SignedWebhook;
import dev.idempotency.webhooks.WebhookSecret;
import dev.idempotency.webhooks.WebhookSigner;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The starter in an application with no configuration class for it, over HTTP: the application's
 * {@code @Transactional} service, its JPA entity and its {@code JdbcTemplate} write commit with the stored
 * outcome, or roll back with it. Run on H2 and PostgreSQL, on each Spring Boot line.
 */
abstract class StarterScenarios {

    private static final String ORDER = "{\"item\":\"book\"}";

    private RunningApp app;

    /** The {@code spring.datasource.*} properties of a database of this test class's own. */
    protected abstract Map<String, String> database();

    private RunningApp start(Map<String, String> properties, String... profiles) {
        app = RunningApp.start(RunningApp.merged(database(), properties), profiles);
        return app;
    }

    private RunningApp start() {
        return start(Map.of());
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    private static String key() {
        return UUID.randomUUID().toString();
    }

    private long[] counts() {
        return new long[] {app.jdbc().queryForObject("SELECT count(*) FROM orders", Long.class),
                app.jdbc().queryForObject("SELECT count(*) FROM order_audit", Long.class)};
    }

    @Test
    void aRetryIsReplayedAReusedKeyIs422AndAMissingKeyIs400() throws Exception {
        start();
        String key = key();
        HttpResponse<String> first = app.post("/orders", ORDER, "Idempotency-Key", key, "X-Api-Key", "client-a");
        HttpResponse<String> retry = app.post("/orders", ORDER, "Idempotency-Key", key, "X-Api-Key", "client-a");
        HttpResponse<String> reused = app.post("/orders", "{\"item\":\"lamp\"}", "Idempotency-Key", key,
                "X-Api-Key", "client-a");
        HttpResponse<String> keyless = app.post("/orders", ORDER, "X-Api-Key", "client-a");

        assertEquals(201, first.statusCode(), first.body());
        assertEquals(201, retry.statusCode());
        assertEquals(first.body(), retry.body());
        assertEquals("true", retry.headers().firstValue("Idempotent-Replayed").orElse(null));
        assertEquals(first.headers().firstValue("Content-Type"), retry.headers().firstValue("Content-Type"),
                "a replay keeps the original content type");
        assertEquals(422, reused.statusCode(), reused.body());
        assertEquals("application/problem+json", reused.headers().firstValue("Content-Type").orElse(null));
        assertEquals(400, keyless.statusCode(), keyless.body());
        assertTrue(keyless.body().contains("urn:idempotency:problem:missing-key"), keyless.body());
        assertEquals(1, counts()[0], "orders");
    }

    @Test
    void theJpaEntityTheJdbcTemplateRowAndTheOutcomeCommitTogether() throws Exception {
        start();
        String key = key();
        assertEquals(201, app.post("/orders", ORDER, "Idempotency-Key", key, "X-Api-Key", "c").statusCode());
        assertEquals(1, counts()[0], "the entity, flushed by the request's commit");
        assertEquals(1, counts()[1], "the JdbcTemplate row");
        assertEquals(1, app.jdbc().queryForObject("SELECT count(*) FROM idempotency_record WHERE "
                + "idempotency_key = ? AND state = 'COMPLETED'", Long.class, key), "the stored outcome");
    }

    @Test
    void anExceptionRollsBackTheEntityTheJdbcRowAndFreesTheKey() throws Exception {
        start();
        String key = key();
        HttpResponse<String> failed = app.post("/orders", ORDER, "Idempotency-Key", key, "X-Api-Key", "c",
                "X-Fail", "true");
        assertEquals(500, failed.statusCode(), failed.body());
        assertEquals(0, counts()[0], "orders after the failure");
        assertEquals(0, counts()[1], "audit rows after the failure");

        HttpResponse<String> retry = app.post("/orders", ORDER, "Idempotency-Key", key, "X-Api-Key", "c");
        assertEquals(201, retry.statusCode(), "the key was freed: " + retry.body());
        assertEquals(1, counts()[0]);
    }

    @Test
    void aStatusThatIsNotStoredRollsBackAndFreesTheKey() throws Exception {
        start();
        String key = key();
        HttpResponse<String> unavailable = app.post("/orders", ORDER, "Idempotency-Key", key, "X-Api-Key", "c",
                "X-Status", "503");
        assertEquals(503, unavailable.statusCode());
        assertEquals(0, counts()[0] + counts()[1], "a 503 is not stored, so its writes roll back");
        assertEquals(201, app.post("/orders", ORDER, "Idempotency-Key", key, "X-Api-Key", "c").statusCode());
    }

    @Test
    void requiresNewKeepsItsMeaningAndCommitsOnItsOwn() throws Exception {
        start();
        HttpResponse<String> failed = app.post("/orders", ORDER, "Idempotency-Key", key(), "X-Api-Key", "c",
                "X-Fail", "true", "X-Separate-Audit", "separate");
        assertEquals(500, failed.statusCode());
        assertEquals(0, counts()[0], "the request's own writes rolled back");
        assertEquals(1, app.jdbc().queryForObject("SELECT count(*) FROM order_audit WHERE note = 'separate'",
                Long.class), "the REQUIRES_NEW row committed on its own");
    }

    @Test
    void concurrentDuplicatesTakeEffectOnce() throws Exception {
        start();
        String key = key();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                answers.add(clients.submit((Callable<HttpResponse<String>>) () -> app.post("/orders", ORDER,
                        "Idempotency-Key", key, "X-Api-Key", "c")));
            }
            int created = 0;
            for (Future<HttpResponse<String>> answer : answers) {
                int status = answer.get(60, TimeUnit.SECONDS).statusCode();
                assertTrue(status == 201 || status == 409, "each copy is the replayed 201 or a 409: " + status);
                created += status == 201 ? 1 : 0;
            }
            assertTrue(created >= 1, "at least the first got its 201");
        } finally {
            clients.shutdownNow();
        }
        assertEquals(1, counts()[0], "one order for one key");
    }

    @Test
    void theKeyTtlOfApplicationPropertiesIsTheStoredRecordsTimeToLive() throws Exception {
        start(Map.of("idempotency.key-ttl", "3h"));
        String key = key();
        Instant before = Instant.now();
        app.post("/orders", ORDER, "Idempotency-Key", key, "X-Api-Key", "c");
        Instant expires = app.jdbc().queryForObject("SELECT expires_at FROM idempotency_record WHERE idempotency_key = ?",
                Timestamp.class, key).toInstant();
        Duration ttl = Duration.between(before, expires);
        assertTrue(ttl.compareTo(Duration.ofHours(3).minusMinutes(1)) > 0
                && ttl.compareTo(Duration.ofHours(3).plusMinutes(1)) < 0, "stored time to live " + ttl);
    }

    @Test
    void theAnnotationCoversAPutTakesAPostOutAndLeasesAnEndpoint() throws Exception {
        start();
        HttpResponse<String> created = app.post("/orders", ORDER, "Idempotency-Key", key(), "X-Api-Key", "c");
        long id = Long.parseLong(created.body().replaceAll(".*\"id\":(\\d+).*", "$1"));
        HttpResponse<String> keylessPut = app.send("PUT", "/orders/" + id, "{\"item\":\"lamp\"}", "X-Api-Key", "c");
        assertEquals(400, keylessPut.statusCode(), "@Idempotent covers the PUT: " + keylessPut.body());
        String putKey = key();
        assertEquals(200, app.send("PUT", "/orders/" + id, "{\"item\":\"lamp\"}", "Idempotency-Key", putKey,
                "X-Api-Key", "c").statusCode());
        assertEquals("true", app.send("PUT", "/orders/" + id, "{\"item\":\"lamp\"}", "Idempotency-Key", putKey,
                "X-Api-Key", "c").headers().firstValue("Idempotent-Replayed").orElse(null));
        assertEquals("lamp", app.jdbc().queryForObject("SELECT item FROM orders WHERE id = ?", String.class, id),
                "the rename is a change JPA finds by dirty checking and writes only when the request's transaction "
                        + "commits: it was flushed by that commit");

        assertEquals(200, app.post("/search", ORDER, "X-Api-Key", "c").statusCode(),
                "@Idempotent(enabled = false) needs no key");

        String payKey = key();
        HttpResponse<String> paid = app.post("/payments", ORDER, "Idempotency-Key", payKey, "X-Api-Key", "c");
        assertEquals(201, paid.statusCode(), paid.body());
        assertTrue(paid.body().contains("\"mode\":\"LEASE\""), paid.body());
        Instant expires = app.jdbc().queryForObject("SELECT expires_at FROM idempotency_record WHERE idempotency_key = ?",
                Timestamp.class, payKey).toInstant();
        assertTrue(Duration.between(Instant.now(), expires).compareTo(Duration.ofMinutes(119)) > 0,
                "the annotation's keyTtl, 2h, is the record's: " + expires);
    }

    @Test
    void aPathRuleTakesAnEndpointOutOfTheProtocol() throws Exception {
        start(Map.of("idempotency.endpoints.legacy.paths", "/legacy/**", "idempotency.endpoints.legacy.enabled",
                "false"));
        HttpResponse<String> imported = app.post("/legacy/import", ORDER, "X-Api-Key", "c");
        assertEquals(200, imported.statusCode(), imported.body());
        assertTrue(imported.body().contains("\"covered\":false"), imported.body());
    }

    @Test
    void refusalsAreProblemDocumentsWhetherOrNotSpringsProblemDetailsAreOn() throws Exception {
        start(Map.of("spring.mvc.problemdetails.enabled", "false"));
        HttpResponse<String> keyless = app.post("/orders", ORDER, "X-Api-Key", "c");
        assertEquals(400, keyless.statusCode());
        assertEquals("application/problem+json", keyless.headers().firstValue("Content-Type").orElse(null));
    }

    @Test
    void closingTheApplicationLeavesNoThreadOfTheLibraryRunning() throws Exception {
        start();
        app.post("/orders", ORDER, "Idempotency-Key", key(), "X-Api-Key", "c");
        app.close();
        app = null;
        List<String> left = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .map(Thread::getName).filter(name -> name.startsWith("idempotency")).toList();
        assertEquals(List.of(), left, "threads of the library still running after the context closed");
    }

    @Test
    void withoutFlywayTheApplicationsOwnSchemaScriptAndTheLibrarysTablesCoexist() throws Exception {
        start(Map.of("spring.flyway.enabled", "false", "spring.sql.init.mode", "always",
                "spring.sql.init.schema-locations", "classpath:db/migration/V1__orders.sql"));
        assertEquals(201, app.post("/orders", ORDER, "Idempotency-Key", key(), "X-Api-Key", "c").statusCode());
        assertEquals(1, counts()[0]);
    }

    /**
     * An application that never used Flyway, on a database whose tables it made itself: the starter brings
     * flyway-core, which on its own would switch on Boot's Flyway and fail the start on the non-empty schema.
     * With no migrations for it, Boot's Flyway stays off.
     */
    @Test
    void anExistingSchemaWithoutMigrationsKeepsBootsFlywayOutOfTheWay() throws Exception {
        Map<String, String> database = database();
        try (java.sql.Connection connection = java.sql.DriverManager.getConnection(
                database.get("spring.datasource.url"), database.get("spring.datasource.username"),
                database.get("spring.datasource.password"));
                java.sql.Statement statement = connection.createStatement()) {
            for (String sql : new String(StarterScenarios.class.getResourceAsStream("/db/migration/V1__orders.sql")
                    .readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split(";")) {
                if (!sql.isBlank()) {
                    statement.execute(sql);
                }
            }
        }
        start(Map.of("spring.flyway.locations", "classpath:db/no-migrations-here"));
        assertEquals(201, app.post("/orders", ORDER, "Idempotency-Key", key(), "X-Api-Key", "c").statusCode());
        assertEquals(1, counts()[0]);
    }

    @Test
    void startingAgainOnTheSameDatabaseKeepsBothFlywayHistories() throws Exception {
        start();
        String key = key();
        app.post("/orders", ORDER, "Idempotency-Key", key, "X-Api-Key", "c");
        app.close();
        app = null;
        start();
        HttpResponse<String> retry = app.post("/orders", ORDER, "Idempotency-Key", key, "X-Api-Key", "c");
        assertEquals("true", retry.headers().firstValue("Idempotent-Replayed").orElse(null),
                "replayed after a restart: " + retry.statusCode() + " " + retry.body() + ", orders " + counts()[0]);
        assertFalse(app.jdbc().queryForList("SELECT \"version\" FROM \"flyway_schema_history\" WHERE \"success\"",
                String.class).isEmpty(), "the application's own Flyway history");
    }

    /** The payment provider's side: the secret application.properties gives the receiver. */
    private static final WebhookSigner PROVIDER = WebhookSigner.create(WebhookSecret.parse(
            "whsec_dGVzdC1vbmx5LXNlY3JldC1mb3ItdGhlLXN0YXJ0ZXItdGVzdHM="));

    private HttpResponse<String> deliver(String id, String json, WebhookSigner signer) throws Exception {
        SignedWebhook signed = signer.sign(id, json.getBytes(StandardCharsets.UTF_8));
        List<String> headers = new ArrayList<>();
        signed.headers().forEach(header -> {
            headers.add(header.name());
            headers.add(header.value());
        });
        return app.post("/webhooks/payments", json, headers.toArray(String[]::new));
    }

    private long paymentEvents(String webhookId) {
        return app.jdbc().queryForObject("SELECT count(*) FROM payment_events WHERE webhook_id = ?", Long.class,
                webhookId);
    }

    @Test
    void aSignedWebhookIsAppliedOnceThroughTheInboxWithoutAnIdempotencyKey() throws Exception {
        start();
        String id = "msg_" + UUID.randomUUID();
        HttpResponse<String> first = deliver(id, "{\"payment\":\"pay-1\"}", PROVIDER);
        HttpResponse<String> redelivered = deliver(id, "{\"payment\":\"pay-1\"}", PROVIDER);

        assertEquals(200, first.statusCode(), first.body());
        assertEquals(204, redelivered.statusCode(), redelivered.body());
        assertEquals("true", redelivered.headers().firstValue("Webhook-Duplicate").orElse(null));
        assertEquals(1, paymentEvents(id), "the @Transactional service's write, once");
    }

    @Test
    void aWebhookWhoseHandlerFailsLeavesNoWriteAndNoMarkerSoTheRedeliveryIsApplied() throws Exception {
        start();
        String id = "msg_" + UUID.randomUUID();
        HttpResponse<String> failed = deliver(id, "{\"payment\":\"pay-2\",\"fail\":true}", PROVIDER);
        assertEquals(500, failed.statusCode(), failed.body());
        assertEquals(0, paymentEvents(id), "the service's write rolled back with the inbox's marker");

        HttpResponse<String> redelivered = deliver(id, "{\"payment\":\"pay-2\"}", PROVIDER);
        assertEquals(200, redelivered.statusCode(), redelivered.body());
        assertEquals(1, paymentEvents(id));
    }

    @Test
    void aWebhookSignedWithAnotherSecretIsRefusedAndAppliesNothing() throws Exception {
        start();
        String id = "msg_" + UUID.randomUUID();
        HttpResponse<String> forged = deliver(id, "{\"payment\":\"pay-3\"}",
                WebhookSigner.create(WebhookSecret.generate()));
        assertEquals(401, forged.statusCode(), forged.body());
        assertEquals("application/problem+json", forged.headers().firstValue("Content-Type").orElse(null));
        assertEquals(0, paymentEvents(id));
    }
}
