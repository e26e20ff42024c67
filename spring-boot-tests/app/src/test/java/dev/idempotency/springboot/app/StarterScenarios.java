package dev.idempotency.springboot.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
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
import org.slf4j.LoggerFactory;

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

    /**
     * The library logs through {@code System.Logger}; in a Spring Boot application its lines reach the
     * application's SLF4J logging (Logback here) with the levels set in its properties, and carry no key, body
     * or scope.
     */
    @Test
    void theLibrarysLogLinesReachTheApplicationsSlf4jLogging() throws Exception {
        start(Map.of("logging.level.dev.idempotency.Idempotency", "DEBUG"));
        Logger logger = (Logger) LoggerFactory.getLogger("dev.idempotency.Idempotency");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        String key = key();
        try {
            assertEquals(201, app.post("/orders", ORDER, "Idempotency-Key", key, "X-Api-Key", "client-a")
                    .statusCode());
            assertEquals(422, app.post("/orders", "{\"item\":\"lamp\"}", "Idempotency-Key", key,
                    "X-Api-Key", "client-a").statusCode());
        } finally {
            logger.detachAppender(lines);
        }
        List<ILoggingEvent> refusals = lines.list.stream().filter(line -> line.getFormattedMessage()
                .startsWith("Idempotency refused a request: outcome=mismatch mode=transaction scope=")).toList();
        assertEquals(1, refusals.size(), () -> "one refusal line through SLF4J, among " + lines.list);
        assertEquals(Level.DEBUG, refusals.get(0).getLevel());
        for (ILoggingEvent line : lines.list) {
            String text = line.getFormattedMessage();
            assertFalse(text.contains(key) || text.contains("lamp") || text.contains("client-a"),
                    () -> "a log line shows a key, a body or a scope: " + text);
        }
    }

    @Test
    void theJpaEntityTheJdbcTemplateRowAndTheOutcomeCommitTogether() throws Exception {
        start();
        String key = key();
        assertEquals(201, app.post("/orders", ORDER, "Idempotency-Key", key, "X-Api-Key", "c").statusCode());
        assertEquals(1, counts()[0], "the entity, flushed by the request's commit");
        assertEquals(1, counts()[1], "the JdbcTemplate row");
        assertEquals(1, app.jdbc().queryForObject("SELECT count(*) FROM idempotency_record WHERE "
                + "idempotency_key = ? AND response_status IS NOT NULL", Long.class, key), "the stored outcome");
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

    // --- metrics and health over HTTP -----------------------------------------------------------

    private static final java.util.regex.Pattern SAMPLE = java.util.regex.Pattern.compile(
            "^(idempotency_[a-z_]+_total(?:\\{[^}]*\\})?)\\s+(\\S+)$");

    /** Every idempotency counter series of /actuator/prometheus, as its name and labels, with its value. */
    private Map<String, Double> scrapeCounters() throws Exception {
        HttpResponse<String> scrape = app.get("/actuator/prometheus");
        assertEquals(200, scrape.statusCode(), scrape.body());
        Map<String, Double> counters = new java.util.TreeMap<>();
        for (String line : scrape.body().split("\n")) {
            java.util.regex.Matcher sample = SAMPLE.matcher(line.trim());
            if (sample.matches()) {
                // Labels in a fixed order whatever the registry's version writes (a trailing comma or not).
                String series = sample.group(1).replace(",}", "}");
                counters.put(series, Double.parseDouble(sample.group(2)));
            }
        }
        return counters;
    }

    private static String requests(String outcome) {
        return "idempotency_requests_total{mode=\"transaction\",outcome=\"" + outcome + "\"}";
    }

    /** Asserts that every counter kept its value except {@code moved}, each of which grew by exactly one. */
    private Map<String, Double> assertMovedByOne(Map<String, Double> before, String... moved) throws Exception {
        Map<String, Double> expected = new java.util.TreeMap<>(before);
        for (String series : moved) {
            expected.merge(series, 1.0, Double::sum);
        }
        Map<String, Double> after = scrapeCounters();
        assertEquals(expected, after, "after the request that moves " + List.of(moved));
        return after;
    }

    private double gauge(String name) throws Exception {
        for (String line : app.get("/actuator/prometheus").body().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no gauge " + name + " in /actuator/prometheus");
    }

    @Test
    void prometheusCountersMoveByExactlyOnePerAnswerAndTheHealthShowsTheBacklogs() throws Exception {
        start(Map.of("management.endpoints.web.exposure.include", "health,prometheus",
                "management.endpoint.health.show-details", "always",
                "idempotency.metrics.backlog-refresh", "100ms"), "metrics");
        Map<String, Double> counters = scrapeCounters();
        assertTrue(counters.containsKey(requests("executed")), "every outcome is registered at zero: " + counters);
        String key = key();

        assertEquals(201, app.post("/orders", ORDER, "Idempotency-Key", key, "X-Api-Key", "m").statusCode());
        counters = assertMovedByOne(counters, requests("executed"));
        HttpResponse<String> replay = app.post("/orders", ORDER, "Idempotency-Key", key, "X-Api-Key", "m");
        assertEquals("true", replay.headers().firstValue("Idempotent-Replayed").orElse(null));
        counters = assertMovedByOne(counters, requests("replayed"));
        assertEquals(422, app.post("/orders", "{\"item\":\"pen\"}", "Idempotency-Key", key, "X-Api-Key", "m")
                .statusCode());
        counters = assertMovedByOne(counters, requests("mismatch"));
        assertEquals(400, app.post("/orders", ORDER, "X-Api-Key", "m").statusCode());
        counters = assertMovedByOne(counters, requests("missing_key"));

        // A shipment held in its handler, a duplicate of it (409), then the shipment's outbox message relayed.
        ShipmentsController.Gate gate = app.context().getBean(ShipmentsController.Gate.class);
        String shipment = key();
        ExecutorService client = Executors.newSingleThreadExecutor();
        try {
            Future<HttpResponse<String>> held = client.submit(() -> app.post("/shipments", "{\"order\":\"o-1\"}",
                    "Idempotency-Key", shipment, "X-Api-Key", "m", "X-Hold", "yes"));
            assertTrue(gate.entered.await(20, TimeUnit.SECONDS), "the first shipment never reached its handler");
            assertEquals(409, app.post("/shipments", "{\"order\":\"o-1\"}", "Idempotency-Key", shipment,
                    "X-Api-Key", "m").statusCode());
            counters = assertMovedByOne(counters, requests("conflict"));
            gate.open.countDown();
            assertEquals(201, held.get(30, TimeUnit.SECONDS).statusCode());
        } finally {
            client.shutdownNow();
        }
        // The relay counts a batch once it has marked it, after the publisher returned: wait for the count.
        String published = "idempotency_outbox_published_total";
        double publishedBefore = counters.get(published);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (scrapeCounters().get(published) == publishedBefore && System.nanoTime() - deadline < 0) {
            Thread.sleep(20);
        }
        assertMovedByOne(counters, requests("executed"), published);
        assertEquals(1, app.context().getBean(ObservabilityConfiguration.RecordingPublisher.class).delivered.size(),
                "the relay published the shipment's message once");
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (gauge("idempotency_outbox_pending") != 0.0 && System.nanoTime() - deadline < 0) {
            Thread.sleep(20);
        }
        assertEquals(0.0, gauge("idempotency_outbox_pending"));
        assertEquals(0.0, gauge("idempotency_outbox_dead"));
        assertEquals(0.0, gauge("idempotency_outbox_oldest_age_seconds"));

        HttpResponse<String> health = app.get("/actuator/health");
        assertEquals(200, health.statusCode(), health.body());
        String body = health.body().replace(" ", "");
        String idempotency = jsonObject(body, "\"idempotency\":");
        assertTrue(idempotency.contains("\"status\":\"UP\""), body);
        assertTrue(idempotency.contains("\"outboxDead\":0") && idempotency.contains("\"purgeBacklog\":0")
                && idempotency.contains("\"outboxLagSeconds\":0"), body);
    }

    /** The JSON object that follows {@code key} in {@code json}, braces matched (no braces inside strings here). */
    private static String jsonObject(String json, String key) {
        int start = json.indexOf(key);
        assertTrue(start >= 0, "no " + key + " in " + json);
        start += key.length();
        int depth = 0;
        for (int i = start; i < json.length(); i++) {
            depth += json.charAt(i) == '{' ? 1 : json.charAt(i) == '}' ? -1 : 0;
            if (depth == 0) {
                return json.substring(start, i + 1);
            }
        }
        throw new AssertionError("unbalanced JSON: " + json);
    }
}
