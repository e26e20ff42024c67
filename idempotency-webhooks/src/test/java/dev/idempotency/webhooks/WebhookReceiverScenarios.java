package dev.idempotency.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.Header;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxRelay;
import dev.idempotency.jdbc.outbox.PublishResult;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import dev.idempotency.testing.CapturedLog;
import dev.idempotency.testing.MutableClock;
import dev.idempotency.testing.TestDatabase;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link WebhookReceiverFilter} over real HTTP (Jetty) with a real {@code JdbcInbox}: verification before
 * anything runs, and the handler's row committed once per webhook id, together with the inbox's marker. Run
 * against each database by a subclass.
 */
abstract class WebhookReceiverScenarios {

    private static final long START = 1_750_000_000L;

    protected final WebhookSecret secret = WebhookSecret.generate();
    protected final WebhookSecret oldSecret = WebhookSecret.generate();
    protected final MutableClock clock = MutableClock.atEpochSecond(START);
    protected ReceiverApp app;

    /** The database under test. */
    protected abstract TestDatabase database();

    @BeforeEach
    void startApp() throws Exception {
        app = ReceiverApp.start(database().dataSource(), List.of(secret, oldSecret), clock);
    }

    @AfterEach
    void stopApp() {
        app.close();
    }

    @Test
    void aValidWebhookRunsTheHandlerOnceAndItsRowCommitsWithTheMarker() throws Exception {
        String id = newId();
        byte[] body = event(id);
        HttpResponse<String> response = app.deliver("/webhooks/orders", sign(id, body), body);
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("{\"received\":\"" + id + "\"}", response.body());
        assertTrue(response.headers().firstValue(WebhookReceiverFilter.DUPLICATE_HEADER).isEmpty());
        assertEquals(1, app.handlerRuns.get());
        assertEquals(1, app.deliveries(id));
        assertEquals(1, app.markers(id));
    }

    @Test
    void aRedeliveryOfTheSameIdIsAnsweredAsADuplicateWithoutRunningTheHandler() throws Exception {
        String id = newId();
        byte[] body = event(id);
        assertEquals(200, app.deliver("/webhooks/orders", sign(id, body), body).statusCode());

        clock.advance(Duration.ofMinutes(3));
        HttpResponse<String> again = app.deliver("/webhooks/orders", sign(id, body), body);
        assertEquals(WebhookReceiverFilter.DUPLICATE_STATUS, again.statusCode(), again.body());
        assertEquals("true", again.headers().firstValue(WebhookReceiverFilter.DUPLICATE_HEADER).orElse(null));
        assertEquals("", again.body());
        assertEquals(1, app.handlerRuns.get(), "the handler ran for the first delivery only");
        assertEquals(1, app.deliveries(id));
    }

    @Test
    void aRedeliveredIdWithAnotherBodyIsRefused422AndTheHandlerDoesNotRun() throws Exception {
        String id = newId();
        byte[] body = event(id);
        assertEquals(200, app.deliver("/webhooks/orders", sign(id, body), body).statusCode());

        clock.advance(Duration.ofMinutes(3));
        byte[] other = new String(body, StandardCharsets.UTF_8).replace("\"amount\":100", "\"amount\":900")
                .getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> refused = app.deliver("/webhooks/orders", sign(id, other), other);
        assertEquals(422, refused.statusCode(), refused.body());
        assertEquals("application/problem+json", refused.headers().firstValue("Content-Type").orElse(null));
        assertTrue(refused.body().contains("\"type\":\"urn:idempotency:problem:webhook-id-reused\""), refused.body());
        assertTrue(refused.body().contains(id), "the detail names the id: " + refused.body());
        assertTrue(refused.body().contains("different body"), refused.body());
        assertTrue(refused.headers().firstValue(WebhookReceiverFilter.DUPLICATE_HEADER).isEmpty());
        assertEquals(1, app.handlerRuns.get(), "the handler ran for the first body only");
        assertEquals(List.of(new String(body, StandardCharsets.UTF_8)), app.bodies(id), "the first body's row stands");

        HttpResponse<String> again = app.deliver("/webhooks/orders", sign(id, body), body);
        assertEquals(WebhookReceiverFilter.DUPLICATE_STATUS, again.statusCode(),
                "the first body is still answered as a duplicate: " + again.body());
        assertEquals(1, app.markers(id));
    }

    @Test
    void aMarkerRecordedWithoutABodyDigestAnswersAnyBodyAsADuplicate() throws Exception {
        String id = newId();
        byte[] body = event(id);
        // A marker as the inbox wrote it before it kept a digest of the body: only its four first columns.
        try (Connection connection = database().dataSource().getConnection();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO " + JdbcInbox.TABLE
                        + " (consumer, message_id, processed_at, expires_at) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, ReceiverApp.CONSUMER);
            insert.setString(2, id);
            insert.setObject(3, OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC));
            insert.setObject(4, OffsetDateTime.ofInstant(clock.instant().plus(Duration.ofDays(7)), ZoneOffset.UTC));
            insert.executeUpdate();
        }
        HttpResponse<String> response = app.deliver("/webhooks/orders", sign(id, body), body);
        assertEquals(WebhookReceiverFilter.DUPLICATE_STATUS, response.statusCode(), response.body());
        assertEquals("true", response.headers().firstValue(WebhookReceiverFilter.DUPLICATE_HEADER).orElse(null));
        assertEquals(0, app.handlerRuns.get());
    }

    @Test
    void eachConsumerAppliesTheSameWebhookOnce() throws Exception {
        String id = newId();
        byte[] body = event(id);
        assertEquals(200, app.deliver("/webhooks/orders", sign(id, body), body).statusCode());
        assertEquals(200, app.deliver("/audit/orders", sign(id, body), body).statusCode());
        assertEquals(204, app.deliver("/audit/orders", sign(id, body), body).statusCode());
        assertEquals(2, app.deliveries(id));
        assertEquals(2, app.markers(id), "one marker per consumer");
    }

    @Test
    void aBadSignatureIsAnswered401AndNothingRuns() throws Exception {
        String id = newId();
        byte[] body = event(id);
        SignedWebhook forged = WebhookSigner.builder().secrets(WebhookSecret.generate()).clock(clock).build()
                .sign(id, body);
        HttpResponse<String> response = app.deliver("/webhooks/orders", forged, body);
        assertUnverified(response, "signature-mismatch");
        assertTrue(response.body().contains("Nothing was processed"), response.body());
        assertNothingRan(id);
    }

    @Test
    void aTamperedBodyIsAnswered401AndNothingRuns() throws Exception {
        String id = newId();
        byte[] body = event(id);
        SignedWebhook signed = sign(id, body);
        byte[] tampered = new String(body, StandardCharsets.UTF_8).replace("\"amount\":100", "\"amount\":900")
                .getBytes(StandardCharsets.UTF_8);
        assertUnverified(app.deliver("/webhooks/orders", signed, tampered), "signature-mismatch");
        assertNothingRan(id);
    }

    @Test
    void aStaleTimestampIsAnswered401AndNothingRuns() throws Exception {
        String id = newId();
        byte[] body = event(id);
        clock.set(Instant.ofEpochSecond(START, 700_000_000)); // a server clock is rarely on a whole second
        SignedWebhook old = signer(secret).sign(id, Instant.ofEpochSecond(START - 301), body);
        HttpResponse<String> response = app.deliver("/webhooks/orders", old, body);
        assertUnverified(response, "timestamp-too-old");
        assertTrue(response.body().contains(" is 301 seconds in the past"), response.body());

        SignedWebhook future = signer(secret).sign(id, Instant.ofEpochSecond(START + 301), body);
        HttpResponse<String> ahead = app.deliver("/webhooks/orders", future, body);
        assertUnverified(ahead, "timestamp-too-new");
        assertTrue(ahead.body().contains(" is 301 seconds in the future"), ahead.body());
        assertNothingRan(id);
    }

    @Test
    void missingOrMalformedHeadersAreAnswered401AndNothingRuns() throws Exception {
        String id = newId();
        byte[] body = event(id);
        assertUnverified(app.deliver("/webhooks/orders", null, body), "missing-header");
        SignedWebhook signed = sign(id, body);
        assertUnverified(app.deliver("/webhooks/orders", null, body, WebhookHeaders.ID, id,
                WebhookHeaders.TIMESTAMP, "soon", WebhookHeaders.SIGNATURE, signed.signature()), "malformed-header");
        assertUnverified(app.deliver("/webhooks/orders", null, body, WebhookHeaders.ID, id,
                WebhookHeaders.TIMESTAMP, Long.toString(signed.timestamp()),
                WebhookHeaders.SIGNATURE, signed.signature().replace("v1,", "v1a,")), "no-supported-signature");
        assertNothingRan(id);
    }

    @Test
    void aSenderStillOnTheOldSecretIsAcceptedDuringRotation() throws Exception {
        String id = newId();
        byte[] body = event(id);
        assertEquals(200, app.deliver("/webhooks/orders", signer(oldSecret).sign(id, body), body).statusCode());
        assertEquals(1, app.deliveries(id));
    }

    @Test
    void aHandlerExceptionIsAServerErrorAndTheRedeliveryRunsAgain() throws Exception {
        String id = newId();
        byte[] body = event(id);
        HttpResponse<String> failed = app.deliver("/webhooks/orders", sign(id, body), body, "X-Test-Throw", "1");
        assertEquals(500, failed.statusCode(), failed.body());
        assertEquals(0, app.deliveries(id), "the handler's insert was rolled back");
        assertEquals(0, app.markers(id), "no marker, so the redelivery runs");

        clock.advance(Duration.ofSeconds(5));
        HttpResponse<String> redelivered = app.deliver("/webhooks/orders", sign(id, body), body);
        assertEquals(200, redelivered.statusCode(), redelivered.body());
        assertEquals(2, app.handlerRuns.get());
        assertEquals(1, app.deliveries(id));
        assertEquals(1, app.markers(id));
    }

    @Test
    void aHandlerServerErrorIsPassedOnAndRolledBackSoTheRedeliveryRunsAgain() throws Exception {
        String id = newId();
        byte[] body = event(id);
        HttpResponse<String> failed = app.deliver("/webhooks/orders", sign(id, body), body, "X-Test-Status", "503");
        assertEquals(503, failed.statusCode());
        assertEquals("handler answered 503", failed.body());
        assertEquals(0, app.deliveries(id));
        assertEquals(0, app.markers(id));

        assertEquals(200, app.deliver("/webhooks/orders", sign(id, body), body).statusCode());
        assertEquals(1, app.deliveries(id));
    }

    @Test
    void aHandlerClientErrorIsPassedOnAndRolledBackToo() throws Exception {
        String id = newId();
        byte[] body = event(id);
        HttpResponse<String> refused = app.deliver("/webhooks/orders", sign(id, body), body, "X-Test-Status", "422");
        assertEquals(422, refused.statusCode());
        assertEquals(0, app.deliveries(id), "only a 2xx answer commits");
        assertEquals(0, app.markers(id));
    }

    @Test
    void aHandlerAnswerOverTheResponseLimitIsAnswered500AndRolledBack() throws Exception {
        String id = newId();
        byte[] body = event(id);
        HttpResponse<String> failed = app.deliver("/webhooks/orders", sign(id, body), body, "X-Test-Body-Bytes",
                Integer.toString(WebhookReceiverFilter.DEFAULT_MAX_RESPONSE_BYTES + 1));
        assertEquals(500, failed.statusCode(), failed.body());
        assertEquals("application/problem+json", failed.headers().firstValue("Content-Type").orElse(null));
        assertTrue(failed.body().contains("\"type\":\"urn:idempotency:problem:webhook-response-too-large\""),
                failed.body());
        assertEquals(0, app.deliveries(id), "the handler's insert was rolled back");
        assertEquals(0, app.markers(id));

        HttpResponse<String> exactly = app.deliver("/webhooks/orders", sign(id, body), body, "X-Test-Body-Bytes",
                Integer.toString(WebhookReceiverFilter.DEFAULT_MAX_RESPONSE_BYTES));
        assertEquals(200, exactly.statusCode());
        assertEquals(WebhookReceiverFilter.DEFAULT_MAX_RESPONSE_BYTES, exactly.body().length());
        assertEquals(1, app.deliveries(id));
    }

    @Test
    void theHandlersCookiesGoOutWithItsAnswerAfterTheCommit() throws Exception {
        String id = newId();
        byte[] body = event(id);
        HttpResponse<String> response = app.deliver("/webhooks/orders", sign(id, body), body, "X-Test-Cookie", "first");
        assertEquals(200, response.statusCode(), response.body());
        assertEquals(List.of("delivery=first"), response.headers().allValues("Set-Cookie").stream()
                .map(cookie -> cookie.split(";")[0]).toList());

        HttpResponse<String> duplicate = app.deliver("/webhooks/orders", sign(id, body), body, "X-Test-Cookie", "again");
        assertEquals(WebhookReceiverFilter.DUPLICATE_STATUS, duplicate.statusCode());
        assertEquals(List.of(), duplicate.headers().allValues("Set-Cookie"), "the handler did not run");
    }

    @Test
    void concurrentRedeliveriesOfOneIdTakeEffectOnce() throws Exception {
        String id = newId();
        byte[] body = event(id);
        int senders = 8;
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<HttpResponse<String>>> results = new ArrayList<>();
            for (int i = 0; i < senders; i++) {
                SignedWebhook signed = sign(id, body);
                results.add(pool.submit(() -> {
                    start.await();
                    return app.deliver("/webhooks/orders", signed, body, "X-Test-Sleep-Ms", "300");
                }));
            }
            start.countDown();
            int applied = 0;
            int duplicates = 0;
            for (Future<HttpResponse<String>> result : results) {
                HttpResponse<String> response = result.get();
                if (response.statusCode() == 200) {
                    applied++;
                } else {
                    assertEquals(204, response.statusCode(), response.body());
                    assertEquals("true", response.headers().firstValue(WebhookReceiverFilter.DUPLICATE_HEADER)
                            .orElse(null));
                    duplicates++;
                }
            }
            assertEquals(1, applied, "exactly one delivery applied");
            assertEquals(senders - 1, duplicates);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, app.deliveries(id), "one effect");
        assertEquals(1, app.markers(id));
    }

    @Test
    void aBodyOverTheLimitIsAnswered413AndNothingRuns() throws Exception {
        String id = newId();
        byte[] body = ("{\"padding\":\"" + "x".repeat(ReceiverApp.MAX_BODY_BYTES) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> response = app.deliver("/webhooks/orders", sign(id, body), body);
        assertEquals(413, response.statusCode(), response.body());
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(null));
        assertTrue(response.body().contains("urn:idempotency:problem:webhook-body-too-large"), response.body());
        assertNothingRan(id);
    }

    @Test
    void anInboxWithoutAConnectionToGiveIsAnswered503SoTheSenderDeliversAgain() throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(database().jdbcUrl());
        config.setUsername(database().user());
        config.setPassword(database().password());
        config.setMaximumPoolSize(2);
        config.setConnectionTimeout(250);
        try (HikariDataSource small = new HikariDataSource(config);
                ReceiverApp starved = ReceiverApp.start(small, List.of(secret), clock);
                CapturedLog log = CapturedLog.of(WebhookReceiverFilter.class)) {
            String id = newId();
            byte[] body = event(id);
            try (Connection first = small.getConnection(); Connection second = small.getConnection()) {
                assertTrue(first.isValid(1) && second.isValid(1), "the test holds every connection of the pool");
                HttpResponse<String> response = starved.deliver("/webhooks/orders", sign(id, body), body);
                List<CapturedLog.Entry> warnings = log.entries(System.Logger.Level.WARNING);
                assertEquals(1, warnings.size(), log.toString());
                assertEquals(System.Logger.Level.WARNING, warnings.get(0).level(), log.toString());
                assertTrue(warnings.get(0).message().contains(id) && warnings.get(0).message().contains("answered 503"),
                        log.toString());
                assertInstanceOf(StoreUnavailableException.class, warnings.get(0).thrown(), log.toString());
                assertEquals(503, response.statusCode(), response.body());
                assertEquals(Long.toString(WebhookReceiverFilter.UNAVAILABLE_RETRY_AFTER_SECONDS),
                        response.headers().firstValue("Retry-After").orElse(null));
                assertTrue(response.body().contains("urn:idempotency:problem:webhook-inbox-unavailable"),
                        response.body());
                assertEquals(0, starved.handlerRuns.get());
            }
            HttpResponse<String> redelivered = starved.deliver("/webhooks/orders", sign(id, body), body);
            assertEquals(200, redelivered.statusCode(), redelivered.body());
            assertEquals(1, app.deliveries(id));
        }
    }

    @Test
    void anInboxWhoseDatabaseFailsOtherwiseIsAnswered500AndNothingRuns() throws Exception {
        DataSource doomed = database().newDataSource(2);
        try (ReceiverApp broken = ReceiverApp.start(doomed, List.of(secret), clock);
                CapturedLog log = CapturedLog.of(WebhookReceiverFilter.class)) {
            ((AutoCloseable) doomed).close();
            String id = newId();
            byte[] body = event(id);
            HttpResponse<String> response = broken.deliver("/webhooks/orders", sign(id, body), body);
            List<CapturedLog.Entry> errors = log.entries(System.Logger.Level.WARNING);
            assertEquals(1, errors.size(), log.toString());
            assertEquals(System.Logger.Level.ERROR, errors.get(0).level(), log.toString());
            assertTrue(errors.get(0).message().contains(id) && errors.get(0).message().contains("answered 500"),
                    log.toString());
            assertInstanceOf(StoreException.class, errors.get(0).thrown(), log.toString());
            assertEquals(500, response.statusCode(), response.body());
            assertTrue(response.body().contains("urn:idempotency:problem:webhook-inbox-failure"), response.body());
            assertEquals(0, broken.handlerRuns.get());
            assertEquals(0, app.deliveries(id));
        }
    }

    @Test
    void aMessagePublishedByTheOutboxPublisherIsAppliedOnceAlthoughPublishedAgain() throws Exception {
        String id = newId();
        byte[] body = event(id);
        OutboxMessage message = new OutboxMessage(id, app.uri("/webhooks/orders").toString(), "order-1", body,
                List.of(new Header("Content-Type", "application/json")), clock.instant());
        WebhookPublisher publisher = WebhookPublisher.create(signer(secret));
        assertInstanceOf(PublishResult.Delivered.class, publisher.publish(message, 1));
        clock.advance(Duration.ofMinutes(10));
        // A relay that crashed before marking the message delivered publishes it again, signed anew.
        assertInstanceOf(PublishResult.Delivered.class, publisher.publish(message, 2));
        assertEquals(1, app.handlerRuns.get());
        assertEquals(1, app.deliveries(id));
    }

    @Test
    void anOutboxMessageIsRelayedAsASignedWebhookAndAppliedOnce() throws Exception {
        clock.set(Instant.now());
        JdbcOutbox outbox = JdbcOutbox.create(database().dataSource());
        String id = newId();
        byte[] body = event(id);
        String destination = app.uri("/webhooks/orders").toString();
        outbox.inTransaction(() -> {
            outbox.enqueue(new OutboxMessage(id, destination, "order-1", body, List.of(), Instant.now()));
            return null;
        });

        // tag::publisher[]
        WebhookPublisher publisher = WebhookPublisher.builder(WebhookSigner.create(secret))
                .timeout(Duration.ofSeconds(15))   // the default; keep it well below the relay's lease
                .build();
        OutboxRelay relay = outbox.relay(publisher); // then relay.start(), on every application instance
        // end::publisher[]
        try (relay) {
            assertEquals(1, relay.runOnce());
        }
        assertEquals(0, outbox.pendingCount());
        assertEquals(1, app.handlerRuns.get());
        assertEquals(1, app.deliveries(id));
        assertEquals(1, app.markers(id));
    }

    // ---- helpers ------------------------------------------------------------------------------

    protected WebhookSigner signer(WebhookSecret... secrets) {
        return WebhookSigner.builder().secrets(secrets).clock(clock).build();
    }

    protected SignedWebhook sign(String id, byte[] body) {
        return signer(secret).sign(id, body);
    }

    protected static String newId() {
        return "msg_" + UUID.randomUUID().toString().replace("-", "");
    }

    protected static byte[] event(String id) {
        return ("{\"type\":\"order.paid\",\"data\":{\"order\":\"" + id + "\",\"amount\":100}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private void assertNothingRan(String id) throws Exception {
        assertEquals(0, app.handlerRuns.get(), "the handler must not run");
        assertEquals(0, app.deliveries(id));
        assertEquals(0, app.markers(id));
    }

    private static void assertUnverified(HttpResponse<String> response, String problem) {
        assertEquals(401, response.statusCode(), response.body());
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(null));
        assertTrue(response.body().contains("\"type\":\"urn:idempotency:problem:webhook-" + problem + "\""),
                response.body());
        assertTrue(response.body().contains("\"status\":401"), response.body());
    }
}
