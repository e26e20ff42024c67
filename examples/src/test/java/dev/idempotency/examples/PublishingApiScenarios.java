package dev.idempotency.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idempotency.Header;
import dev.idempotency.IdempotencyHeaders;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.webhooks.SignedWebhook;
import dev.idempotency.webhooks.WebhookReceiverFilter;
import dev.idempotency.webhooks.WebhookSecret;
import dev.idempotency.webhooks.WebhookSigner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The demo's behaviour over real HTTP, written once and run against each database by a subclass that
 * says which database to start the server on.
 *
 * <p>Each test starts its own server on port 0 and uses fresh API keys, idempotency keys and account
 * ids, so tests never see each other's data even when they share a database.
 */
abstract class PublishingApiScenarios {

    static final String REPLAYED = IdempotencyHeaders.REPLAYED;

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How long another client may wait for an answer while slow clients flood the server. */
    static final Duration SLOW_FLOOD_BOUND = Duration.ofSeconds(10);

    PublishingApiServer server;
    FakePaymentService paymentService;
    final String apiKey = "api-" + UUID.randomUUID();
    final String account = "acct-" + UUID.randomUUID();

    /** The options to start the server with: port 0 and the database under test. */
    abstract Options options();

    /** {@link #options()} with the test's payment service as {@code --payments-url}. */
    Options withPayments() {
        return options().withPaymentsUrl(paymentService.uri());
    }

    /**
     * Stops this test's server and runs {@link RoundTrip} on {@link #options()}, as {@code --round-trip} with
     * {@code --jdbc-url} does: every step must hold, and nothing be printed on the error stream.
     */
    void assertTheRoundTripHoldsOnTheDatabaseOfTheUrl() {
        server.stop();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int status = RoundTrip.run(options(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));

        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(RoundTrip.EXIT_OK, status, printed + err.toString(StandardCharsets.UTF_8));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
        assertTrue(printed.startsWith("Round trip on http://127.0.0.1:") && printed.contains("on the database of "
                + "--jdbc-url:"), printed);
        assertTrue(printed.contains("4. receiver verified webhook msg_") && printed.contains("recorded it once"), printed);
        assertTrue(printed.contains("5. redelivery of msg_") && printed.contains("-> 204 duplicate"), printed);
        assertTrue(printed.contains("6. tampered signature") && printed.contains("-> 401"), printed);
        assertTrue(printed.contains("Round trip OK"), printed);
    }

    @BeforeEach
    void startServer() throws Exception {
        paymentService = new FakePaymentService();
        server = PublishingApiServer.start(withPayments());
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.stop();
        }
        if (paymentService != null) {
            paymentService.close();
        }
    }

    @Test
    void createsPostWithLocationAndJson() throws Exception {
        Instant before = Instant.now().minusSeconds(1);
        HttpResponse<byte[]> response = send(createPost(newKey(), account, "Hello, exactly once"));

        assertEquals(201, response.statusCode());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElseThrow());
        assertFalse(response.headers().firstValue(REPLAYED).isPresent());
        JsonNode post = json(response);
        long id = post.get("id").asLong();
        assertTrue(id > 0, "generated id " + id);
        assertEquals("/posts/" + id, response.headers().firstValue("Location").orElseThrow());
        assertEquals(account, post.get("account_id").asText());
        assertEquals("Hello, exactly once", post.get("content").asText());
        Instant createdAt = Instant.parse(post.get("created_at").asText());
        assertTrue(!createdAt.isBefore(before) && !createdAt.isAfter(Instant.now().plusSeconds(1)),
                "created_at " + createdAt);

        HttpResponse<byte[]> atLocation = send(get(response.headers().firstValue("Location").orElseThrow()));
        assertEquals(200, atLocation.statusCode());
        assertEquals(post, json(atLocation));
    }

    @Test
    void replaysSameRequestWithSameKey() throws Exception {
        String key = newKey();
        HttpResponse<byte[]> first = send(createPost(key, account, "once"));
        HttpResponse<byte[]> retry = send(createPost(key, account, "once"));

        assertEquals(201, first.statusCode());
        assertEquals(201, retry.statusCode());
        assertArrayEquals(first.body(), retry.body());
        assertEquals("true", retry.headers().firstValue(REPLAYED).orElseThrow());
        assertEquals(first.headers().firstValue("Location"), retry.headers().firstValue("Location"));
        assertEquals(first.headers().firstValue("Content-Type"), retry.headers().firstValue("Content-Type"));
        assertEquals(1, listPosts(account).size());
        assertEquals(1, countPosts(account));
    }

    @Test
    void keepsKeysPerApiKey() throws Exception {
        String key = newKey();
        HttpResponse<byte[]> mine = send(createPost(key, account, "same body"));
        HttpResponse<byte[]> theirs = send(createPost(key, account, "same body").setHeader(
                PublishingApiServer.CLIENT_HEADER, "another-" + apiKey).build());

        assertEquals(201, mine.statusCode());
        assertEquals(201, theirs.statusCode());
        assertFalse(theirs.headers().firstValue(REPLAYED).isPresent(), "another client's key is another key");
        assertEquals(2, countPosts(account));
    }

    @Test
    void rejectsKeyReuseWithDifferentContent() throws Exception {
        String key = newKey();
        assertEquals(201, send(createPost(key, account, "original")).statusCode());
        HttpResponse<byte[]> reused = send(createPost(key, account, "something else"));

        assertProblem(reused, 422, "urn:idempotency:problem:key-reused");
        assertEquals(1, countPosts(account));
    }

    @Test
    void refusesPostWithoutApiKey() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(uri("/posts"))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", newKey())
                .POST(HttpRequest.BodyPublishers.ofString(postJson(account, "anonymous")))
                .build();
        HttpResponse<byte[]> response = send(request);

        assertProblem(response, 400, "urn:idempotency:problem:scope-unresolved");
        assertTrue(json(response).get("detail").asText().contains(PublishingApiServer.CLIENT_HEADER),
                json(response).toString());
        assertEquals(0, countPosts(account));
    }

    @Test
    void refusesPostWithoutIdempotencyKey() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(uri("/posts"))
                .header("Content-Type", "application/json")
                .header(PublishingApiServer.CLIENT_HEADER, apiKey)
                .POST(HttpRequest.BodyPublishers.ofString(postJson(account, "no key")))
                .build();
        HttpResponse<byte[]> response = send(request);

        assertProblem(response, 400, "urn:idempotency:problem:missing-key");
        assertEquals(0, countPosts(account));
    }

    @Test
    void answersMissingFieldWithProblemAndReplaysIt() throws Exception {
        String key = newKey();
        String body = "{\"account_id\": \"" + account + "\"}";
        HttpResponse<byte[]> first = send(post(key, body));
        HttpResponse<byte[]> retry = send(post(key, body));

        assertProblem(first, 400, Problems.INVALID_REQUEST_TYPE);
        assertTrue(json(first).get("detail").asText().contains("content"), json(first).toString());
        assertFalse(first.headers().firstValue(REPLAYED).isPresent());
        assertEquals(400, retry.statusCode());
        assertEquals("true", retry.headers().firstValue(REPLAYED).orElseThrow());
        assertArrayEquals(first.body(), retry.body());
        assertEquals(Problems.MEDIA_TYPE, retry.headers().firstValue("Content-Type").orElseThrow());
        assertEquals(0, countPosts(account));
    }

    @Test
    void answersInvalidFieldsWithProblemNamingTheField() throws Exception {
        HttpResponse<byte[]> blank = send(post(newKey(), "{\"account_id\": \"  \", \"content\": \"x\"}"));
        HttpResponse<byte[]> notText = send(post(newKey(), "{\"account_id\": \"" + account + "\", \"content\": 42}"));
        HttpResponse<byte[]> notObject = send(post(newKey(), "[\"" + account + "\", \"content\"]"));

        assertProblem(blank, 400, Problems.INVALID_REQUEST_TYPE);
        assertTrue(json(blank).get("detail").asText().contains("account_id"), json(blank).toString());
        assertProblem(notText, 400, Problems.INVALID_REQUEST_TYPE);
        assertTrue(json(notText).get("detail").asText().contains("content"), json(notText).toString());
        assertProblem(notObject, 400, Problems.INVALID_REQUEST_TYPE);
        assertTrue(json(notObject).get("detail").asText().contains("JSON object"), json(notObject).toString());
        assertEquals(0, countPosts(account));
    }

    @Test
    void textTheDatabaseCannotStoreExactlyIsRefusedNamingTheFieldOnEveryRetry() throws Exception {
        // As a client writes them in JSON: escapes for NUL and for surrogates without their other half.
        String[] unstorable = {"a\\u0000b", "x\\ud800y", "x\\udc00", "\\ude00\\ud83d", "end\\ud83d"};
        for (String text : unstorable) {
            String[][] bodies = {
                {"content", "{\"account_id\": \"" + account + "\", \"content\": \"" + text + "\"}"},
                {"account_id", "{\"account_id\": \"" + account + text + "\", \"content\": \"fine\"}"},
            };
            for (String[] body : bodies) {
                String key = newKey();
                for (int attempt = 0; attempt < 2; attempt++) {
                    HttpResponse<byte[]> response = send(post(key, body[1]));
                    assertProblem(response, 400, Problems.INVALID_REQUEST_TYPE);
                    String detail = json(response).get("detail").asText();
                    assertTrue(detail.contains("field " + body[0]), body[1] + ": " + detail);
                }
            }
            HttpResponse<byte[]> payment = send(paymentRequest(newKey(), "{\"account_id\": \"" + account + text
                    + "\", \"amount\": 100}").build());
            assertProblem(payment, 400, Problems.INVALID_REQUEST_TYPE);
            assertTrue(json(payment).get("detail").asText().contains("field account_id"), text(payment));
        }
        assertEquals(0, countPosts(account));
        assertEquals(0, paymentService.calls());

        // A whole pair is a character like any other, stored and answered exactly.
        String emoji = "smile \ud83d\ude00";
        HttpResponse<byte[]> created = send(createPost(newKey(), account, emoji));
        assertEquals(201, created.statusCode(), text(created));
        assertEquals(emoji, json(created).get("content").asText());
        assertEquals(emoji, listPosts(account).get(0).get("content").asText());
    }

    @Test
    void queryTextTheDatabaseCannotTakeIsRefusedNamingTheParameter() throws Exception {
        for (String path : new String[] {"/posts", "/payments"}) {
            HttpResponse<byte[]> nul = send(get(path + "?account_id=a%00b"));
            HttpResponse<byte[]> surrogate = send(get(path + "?account_id=a%ED%A0%80b"));

            assertProblem(nul, 400, Problems.INVALID_REQUEST_TYPE);
            assertTrue(json(nul).get("detail").asText().contains("account_id"), text(nul));
            assertEquals(400, surrogate.statusCode(), text(surrogate));
        }
    }

    @Test
    void malformedJsonIsRefusedByTheFilterBeforeTheHandler() throws Exception {
        HttpResponse<byte[]> response = send(post(newKey(), "{\"account_id\": "));

        assertProblem(response, 400, "urn:idempotency:problem:malformed-body");
    }

    @Test
    void rollsBackInsertWhenHandlerFailsAndRunsTheRetry() throws Exception {
        String key = newKey();
        HttpResponse<byte[]> failed = send(createPost(key, account, "fails once")
                .header(PostsServlet.FAIL_HEADER, "true").build());

        assertProblem(failed, 500, Problems.SERVER_ERROR_TYPE);
        assertEquals(0, countPosts(account), "the failed request's insert must be rolled back");

        // Headers are not part of the fingerprint: without the knob this is the same request, run again.
        HttpResponse<byte[]> retry = send(createPost(key, account, "fails once"));
        assertEquals(201, retry.statusCode());
        assertFalse(retry.headers().firstValue(REPLAYED).isPresent(), "a failure is not stored, so the retry runs");
        HttpResponse<byte[]> again = send(createPost(key, account, "fails once"));
        assertEquals("true", again.headers().firstValue(REPLAYED).orElseThrow());
        assertArrayEquals(retry.body(), again.body());
        assertEquals(1, countPosts(account));
        assertEquals(1, listPosts(account).size());
    }

    @Test
    void answersConcurrentDuplicateWithConflictThenReplays() throws Exception {
        String key = newKey();
        CompletableFuture<HttpResponse<byte[]>> slow = HTTP.sendAsync(createPost(key, account, "slow")
                .header(PostsServlet.DELAY_HEADER, "4000").build(), HttpResponse.BodyHandlers.ofByteArray());
        // The slow request holds its key for 4 s after its insert.
        awaitAPostHandlerInItsDelay();
        HttpResponse<byte[]> duplicate = send(createPost(key, account, "slow"));

        assertProblem(duplicate, 409, "urn:idempotency:problem:in-progress");
        assertTrue(duplicate.headers().firstValue("Retry-After").isPresent(), "Retry-After on 409");
        assertFalse(slow.isDone(), "the first request was still running when the duplicate was refused");

        HttpResponse<byte[]> original = slow.get(30, TimeUnit.SECONDS);
        assertEquals(201, original.statusCode());
        HttpResponse<byte[]> retry = send(createPost(key, account, "slow"));
        assertEquals(201, retry.statusCode());
        assertEquals("true", retry.headers().firstValue(REPLAYED).orElseThrow());
        assertArrayEquals(original.body(), retry.body());
        assertEquals(1, countPosts(account));
    }

    @Test
    void listsOnlyTheGivenAccountsPostsInIdOrder() throws Exception {
        String other = "acct-" + UUID.randomUUID();
        long first = json(send(createPost(newKey(), account, "first"))).get("id").asLong();
        send(createPost(newKey(), other, "someone else's"));
        long second = json(send(createPost(newKey(), account, "second"))).get("id").asLong();

        List<JsonNode> posts = listPosts(account);

        assertEquals(List.of(first, second), posts.stream().map(p -> p.get("id").asLong()).toList());
        assertEquals(List.of("first", "second"), posts.stream().map(p -> p.get("content").asText()).toList());
        assertTrue(posts.stream().allMatch(p -> p.get("account_id").asText().equals(account)));
        assertEquals(1, listPosts(other).size());
        assertEquals(0, listPosts("acct-nobody-" + UUID.randomUUID()).size());
    }

    @Test
    void listingWithoutAccountIdIsAProblem() throws Exception {
        assertProblem(send(get("/posts")), 400, Problems.INVALID_REQUEST_TYPE);
        assertTrue(json(send(get("/posts"))).get("detail").asText().contains("account_id"));
    }

    @Test
    void unknownPostIsNotFound() throws Exception {
        assertProblem(send(get("/posts/999999999")), 404, Problems.NOT_FOUND_TYPE);
        assertProblem(send(get("/posts/not-a-number")), 404, Problems.NOT_FOUND_TYPE);
        assertProblem(send(get("/nothing-here")), 404, Problems.NOT_FOUND_TYPE);
    }

    /** The {@code idempotency_requests_total} series of a scrape of /metrics, by their labels. */
    private Map<String, Double> requestCounters() throws Exception {
        HttpResponse<byte[]> scrape = send(get(PublishingApiServer.METRICS_PATH));
        assertEquals(200, scrape.statusCode());
        String contentType = scrape.headers().firstValue("Content-Type").orElseThrow();
        assertTrue(contentType.startsWith("text/plain"), contentType);
        Map<String, Double> counters = new java.util.TreeMap<>();
        for (String line : new String(scrape.body(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("idempotency_requests_total{")) {
                counters.put(line.substring(0, line.lastIndexOf(' ')).replace(",}", "}"),
                        Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
            }
        }
        return counters;
    }

    private static double sample(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + series + " in " + scrape);
    }

    @Test
    void metricsAreScrapedInThePrometheusFormatAndEachAnswerCountsOnce() throws Exception {
        Map<String, Double> expected = requestCounters();
        assertEquals(0.0, expected.get("idempotency_requests_total{mode=\"transaction\",outcome=\"executed\"}"),
                "every outcome is there from the start, at zero: " + expected);
        String key = newKey();

        assertEquals(201, send(createPost(key, account, "measured")).statusCode());
        assertEquals(201, send(createPost(key, account, "measured")).statusCode());
        assertEquals(422, send(createPost(key, account, "measured again")).statusCode());

        for (String outcome : List.of("executed", "replayed", "mismatch")) {
            expected.merge("idempotency_requests_total{mode=\"transaction\",outcome=\"" + outcome + "\"}", 1.0,
                    Double::sum);
        }
        assertEquals(expected, requestCounters());
        String scrape = new String(send(get(PublishingApiServer.METRICS_PATH)).body(),
                java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(3.0, sample(scrape, "idempotency_store_claim_seconds_count{mode=\"transaction\"}"),
                "one claim per request that reached the store");
        assertEquals(1.0, sample(scrape, "idempotency_store_complete_seconds_count{mode=\"transaction\"}"),
                "one outcome stored");
        for (String gauge : List.of("idempotency_outbox_pending", "idempotency_outbox_oldest_age_seconds",
                "idempotency_outbox_dead", "idempotency_purge_backlog")) {
            assertTrue(scrape.contains("\n" + gauge + " "), gauge + " in " + scrape);
        }
    }

    @Test
    void healthIsOk() throws Exception {
        HttpResponse<byte[]> response = send(get("/health"));

        assertEquals(200, response.statusCode());
        assertEquals("ok", json(response).get("status").asText());
    }

    @Test
    void migratesWithTwoFlywayHistoriesSideBySide() throws Exception {
        assertEquals(List.of("0", "1", "2", "3"), successfulVersions("flyway_schema_history"),
                "the demo's history: the baseline below the library's tables, then its own V1, V2 and V3");
        assertTrue(successfulVersions("idempotency_schema_history").contains("1"), "the library's own history");
    }

    @Test
    void keepsKeysAndPostsAcrossRestart() throws Exception {
        String key = newKey();
        HttpResponse<byte[]> first = send(createPost(key, account, "before the restart"));
        assertEquals(201, first.statusCode());

        server.stop();
        server = PublishingApiServer.start(withPayments());

        HttpResponse<byte[]> retry = send(createPost(key, account, "before the restart"));
        assertEquals(201, retry.statusCode());
        assertEquals("true", retry.headers().firstValue(REPLAYED).orElseThrow());
        assertArrayEquals(first.body(), retry.body());
        assertEquals(1, countPosts(account));
        assertEquals(List.of("0", "1", "2", "3"), successfulVersions("flyway_schema_history"),
                "restarting applies no migration twice");
    }

    // ----- POST /payments, in lease mode -----

    @Test
    void paymentRunsInLeaseModeChargesOnceWithADerivedKeyAndIsReplayed() throws Exception {
        String key = newKey();
        CompletableFuture<HttpResponse<byte[]>> slow = HTTP.sendAsync(payBuilder(key, account, 1250)
                .header(PostsServlet.DELAY_HEADER, "1500").build(), HttpResponse.BodyHandlers.ofByteArray());
        awaitCalls(1);
        HttpResponse<byte[]> duplicate = send(pay(key, account, 1250));

        assertProblem(duplicate, 409, "urn:idempotency:problem:in-progress");
        long retryAfter = Long.parseLong(duplicate.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter > 1 && retryAfter <= 30, "Retry-After from the 30 s lease: " + retryAfter);

        HttpResponse<byte[]> first = slow.get(30, TimeUnit.SECONDS);
        HttpResponse<byte[]> retry = send(pay(key, account, 1250));
        assertEquals(201, first.statusCode(), () -> new String(first.body(), StandardCharsets.UTF_8));
        JsonNode payment = json(first);
        assertEquals(account, payment.get("account_id").asText());
        assertEquals(1250, payment.get("amount").asLong());
        assertEquals(paymentService.onlyChargeFor(account).id(), payment.get("charge_id").asText());
        assertEquals("/payments/" + payment.get("id").asLong(), first.headers().firstValue("Location").orElseThrow());
        assertEquals(201, retry.statusCode());
        assertEquals("true", retry.headers().firstValue(REPLAYED).orElseThrow());
        assertArrayEquals(first.body(), retry.body());

        assertEquals(1, paymentService.calls(), "neither the duplicate nor the replay reached the payment service");
        String chargeKey = paymentService.keysReceived().get(0);
        assertTrue(chargeKey.matches("[A-Za-z0-9_-]{43}") && !chargeKey.contains(key),
                "a key derived from the client's, not the client's own: " + chargeKey);
        assertEquals(List.of(payment), listPayments(account));
        assertEquals(payment, json(send(get("/payments/" + payment.get("id").asLong()))));
    }

    @Test
    void failedPaymentsAreNotStoredAndTheRetryChargesOnceAndRecordsOneRow() throws Exception {
        String key = newKey();
        paymentService.failing(true);
        HttpResponse<byte[]> serviceFailed = send(pay(key, account, 300));
        paymentService.failing(false);

        assertProblem(serviceFailed, 502, Problems.PAYMENT_PROVIDER_FAILED_TYPE);
        assertEquals(0, paymentService.charges());
        assertEquals(0, listPayments(account).size());

        HttpResponse<byte[]> failedAfterRow = send(payBuilder(key, account, 300)
                .header(PostsServlet.FAIL_HEADER, "true"));
        assertProblem(failedAfterRow, 500, Problems.SERVER_ERROR_TYPE);
        assertEquals(1, paymentService.charges());
        assertEquals(1, listPayments(account).size(), "in lease mode the row committed on its own, before the failure");

        HttpResponse<byte[]> retry = send(pay(key, account, 300));
        assertEquals(201, retry.statusCode(), () -> new String(retry.body(), StandardCharsets.UTF_8));
        assertFalse(retry.headers().firstValue(REPLAYED).isPresent(), "failures are not stored: the retry ran");
        assertEquals(2, paymentService.calls(), "the retry charged again ...");
        assertEquals(1, paymentService.charges(), "... with the same derived key, so the service charged once");
        List<JsonNode> payments = listPayments(account);
        assertEquals(1, payments.size(), "the retry found the row of the first run instead of writing another");
        assertEquals(payments.get(0), json(retry));
    }

    @Test
    void invalidPaymentIsAProblemNamingTheFieldAndChargesNothing() throws Exception {
        String[] bodies = {"{\"account_id\": \"" + account + "\", \"amount\": \"12\"}",
                "{\"account_id\": \"" + account + "\", \"amount\": 0}",
                "{\"account_id\": \"" + account + "\", \"amount\": 1.5}",
                "{\"account_id\": \"" + account + "\"}"};
        for (String body : bodies) {
            HttpResponse<byte[]> response = send(paymentRequest(newKey(), body).build());
            assertProblem(response, 400, Problems.INVALID_REQUEST_TYPE);
            assertTrue(json(response).get("detail").asText().contains("amount"), json(response).toString());
        }
        HttpResponse<byte[]> noAccount = send(paymentRequest(newKey(), "{\"amount\": 5}").build());
        assertProblem(noAccount, 400, Problems.INVALID_REQUEST_TYPE);
        assertTrue(json(noAccount).get("detail").asText().contains("account_id"), json(noAccount).toString());
        assertEquals(0, paymentService.calls());
    }


    // ----- server errors: what each says must be true where it is said -----

    @Test
    void aServerErrorSaysWhatWasKeptOnItsPathAndMode() throws Exception {
        HttpResponse<byte[]> post = send(createPost(newKey(), account, "fails")
                .header(PostsServlet.FAIL_HEADER, "true"));
        HttpResponse<byte[]> payment = send(payBuilder(newKey(), account, 700)
                .header(PostsServlet.FAIL_HEADER, "true"));

        // Transaction mode: the insert and the event were rolled back with the key's claim.
        assertProblem(post, 500, Problems.SERVER_ERROR_TYPE);
        String postDetail = json(post).get("detail").asText();
        assertTrue(postDetail.contains("Nothing the request did was kept") && postDetail.contains("runs it again"),
                postDetail);
        assertEquals(0, countPosts(account));
        // Lease mode: the charge and the payment row stand, and the detail must not say otherwise.
        assertProblem(payment, 500, Problems.SERVER_ERROR_TYPE);
        String paymentDetail = json(payment).get("detail").asText();
        assertFalse(paymentDetail.contains("Nothing"), paymentDetail);
        assertTrue(paymentDetail.contains("charge") && paymentDetail.contains("payment row")
                && paymentDetail.contains("at most once"), paymentDetail);
        assertEquals(1, paymentService.charges());
        assertEquals(1, listPayments(account).size());
    }

    @Test
    void aReadDuringADatabaseOutageIs503WithRetryAfterAsTheCoveredRequestsAre() throws Exception {
        long postId = json(send(createPost(newKey(), account, "before the outage"))).get("id").asLong();
        // Its event relayed first. A relay batch that the outage caught between its claim and its mark keeps
        // the event leased until the relay's lease ends (OutboxRelayConfig.DEFAULT_LEASE_DURATION, a minute),
        // as it should; whether a batch was in flight at that instant was a race, which a busy machine lost.
        awaitNoEventPending(account);
        List<Connection> held = new ArrayList<>();
        try (LibraryLogs logs = LibraryLogs.capture()) {
            // Every connection of the pool taken: to the server, the database no longer answers.
            for (int i = 0; i < JdbcIdempotencyStore.DEFAULT_MAXIMUM_POOL_SIZE; i++) {
                held.add(server.dataSource().getConnection());
            }
            CompletableFuture<HttpResponse<byte[]>> list = HTTP.sendAsync(get("/posts?account_id=" + account),
                    HttpResponse.BodyHandlers.ofByteArray());
            CompletableFuture<HttpResponse<byte[]>> one = HTTP.sendAsync(get("/payments/1"),
                    HttpResponse.BodyHandlers.ofByteArray());
            CompletableFuture<HttpResponse<byte[]>> covered = HTTP.sendAsync(createPost(newKey(), account,
                    "during the outage").build(), HttpResponse.BodyHandlers.ofByteArray());

            assertProblem(covered.get(), 503, "urn:idempotency:problem:store-unavailable");
            assertTrue(logs.warned("store unavailable while claiming"), logs.toString());
            String retryAfter = covered.get().headers().firstValue("Retry-After").orElseThrow();
            for (HttpResponse<byte[]> read : List.of(list.get(), one.get())) {
                assertProblem(read, 503, Problems.DATABASE_UNAVAILABLE_TYPE);
                assertEquals(retryAfter, read.headers().firstValue("Retry-After").orElse(null), text(read));
                String detail = json(read).get("detail").asText();
                assertTrue(detail.contains("only reads") && !detail.contains("Idempotency-Key"), detail);
            }
            for (Connection connection : held) {
                connection.close();
            }
            held.clear();
            // Back: the same server serves again, and the outbox relay, whose batches failed meanwhile, relays
            // the event of a new post.
            HttpResponse<byte[]> after = send(get("/posts/" + postId));
            assertEquals(200, after.statusCode(), text(after));
            assertEquals(201, send(createPost(newKey(), account, "after the outage")).statusCode());
            awaitNoEventPending(account);
        } finally {
            for (Connection connection : held) {
                connection.close();
            }
        }
    }

    // ----- methods, content codings -----

    @Test
    void traceIsRefusedEverywhereAndEchoesNothing() throws Exception {
        String secret = "secret-" + UUID.randomUUID();
        for (String path : new String[] {"/posts", "/posts/1", "/payments", "/health",
                PublishingApiServer.RECEIVED_PATH, PublishingApiServer.WEBHOOK_PATH}) {
            RawHttp.Response response = RawHttp.exchange(server.baseUri(), "TRACE " + path + " HTTP/1.1\r\n"
                    + "Host: test\r\n" + PublishingApiServer.CLIENT_HEADER + ": " + secret + "\r\n"
                    + "Cookie: session=" + secret + "\r\nConnection: close\r\n\r\n");

            assertEquals(405, response.status(), path + ": " + response);
            assertEquals(Problems.MEDIA_TYPE, response.header("Content-Type").orElse(null), path + ": " + response);
            assertFalse(response.header("Allow").orElseThrow().contains("TRACE"), path + ": " + response);
            assertFalse(response.text().contains(secret), path + ": " + response);
            assertFalse(response.headers().toString().contains(secret), path + ": " + response);
        }
    }

    @Test
    void unsupportedMethodsGet405WithTheAllowedMethodsAndRunNothing() throws Exception {
        String body = postJson(account, "not by this method");
        Object[][] cases = {
            {"PUT", "/posts", "GET, HEAD, POST, OPTIONS"},
            {"PATCH", "/posts", "GET, HEAD, POST, OPTIONS"},
            {"DELETE", "/posts", "GET, HEAD, POST, OPTIONS"},
            {"POST", "/posts/1", "GET, HEAD, OPTIONS"},
            {"PATCH", "/posts/1", "GET, HEAD, OPTIONS"},
            {"PUT", "/payments", "GET, HEAD, POST, OPTIONS"},
            {"PATCH", "/payments", "GET, HEAD, POST, OPTIONS"},
            {"DELETE", "/payments/1", "GET, HEAD, OPTIONS"},
            {"POST", "/health", "GET, HEAD, OPTIONS"},
            {"GET", PublishingApiServer.WEBHOOK_PATH, "POST, OPTIONS"},
        };
        for (Object[] c : cases) {
            String method = (String) c[0];
            String path = (String) c[1];
            // With and without a key: a method the path does not support is refused whatever the request carries.
            for (boolean withKey : new boolean[] {true, false}) {
                HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .header(PublishingApiServer.CLIENT_HEADER, apiKey)
                        .method(method, HttpRequest.BodyPublishers.ofString(body));
                if (withKey) {
                    request.header("Idempotency-Key", newKey());
                }
                HttpResponse<byte[]> response = send(request);

                String shown = method + " " + path + (withKey ? " with a key" : "");
                assertProblem(response, 405, Problems.METHOD_NOT_ALLOWED_TYPE);
                assertEquals(c[2], response.headers().firstValue("Allow").orElse(null), shown);
                String detail = json(response).get("detail").asText();
                assertTrue(detail.contains(method) && detail.contains((String) c[2]), shown + ": " + detail);
            }
        }
        assertEquals(0, countPosts(account));
        assertEquals(0, paymentService.calls());
    }

    @Test
    void optionsNamesTheMethodsOfThePath() throws Exception {
        Object[][] cases = {{"/posts", "GET, HEAD, POST, OPTIONS"}, {"/posts/7", "GET, HEAD, OPTIONS"},
            {"/payments", "GET, HEAD, POST, OPTIONS"}, {"/health", "GET, HEAD, OPTIONS"},
            {PublishingApiServer.WEBHOOK_PATH, "POST, OPTIONS"}};
        for (Object[] c : cases) {
            HttpResponse<byte[]> response = send(HttpRequest.newBuilder(uri((String) c[0]))
                    .timeout(Duration.ofSeconds(30)).method("OPTIONS", HttpRequest.BodyPublishers.noBody()));

            assertEquals(204, response.statusCode(), c[0] + ": " + text(response));
            assertEquals(c[1], response.headers().firstValue("Allow").orElse(null), (String) c[0]);
        }
    }

    @Test
    void aBodyInAContentCodingIsRefused415NamingContentEncodingAndTheKeyStaysFree() throws Exception {
        String key = newKey();
        byte[] gzipped = gzip(postJson(account, "compressed"));
        HttpResponse<byte[]> compressed = send(postBuilder(key, "")
                .header("Content-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(gzipped)));

        assertProblem(compressed, 415, Problems.UNSUPPORTED_CONTENT_ENCODING_TYPE);
        assertTrue(json(compressed).get("detail").asText().contains("Content-Encoding"), text(compressed));
        assertEquals("identity", compressed.headers().firstValue("Accept-Encoding").orElse(null));
        assertEquals(0, countPosts(account));

        // Refused before the idempotency filter: the key was not used, so the plain request runs under it.
        HttpResponse<byte[]> plain = send(createPost(key, account, "compressed"));
        assertEquals(201, plain.statusCode(), text(plain));
        assertFalse(plain.headers().firstValue(REPLAYED).isPresent());
        HttpResponse<byte[]> identity = send(createPost(newKey(), account, "identity is no coding")
                .header("Content-Encoding", "identity"));
        assertEquals(201, identity.statusCode(), text(identity));

        HttpResponse<byte[]> payment = send(payBuilder(newKey(), account, 100).header("Content-Encoding", "br"));
        assertProblem(payment, 415, Problems.UNSUPPORTED_CONTENT_ENCODING_TYPE);
        assertEquals(0, paymentService.calls());
        assertEquals(2, countPosts(account));
    }

    // ----- slow clients -----

    /**
     * Twice as many clients as the pool has threads each send a POST's headers and then its body a byte every
     * 2 seconds, the way a flood of slow clients holds a server's threads. While they do, another client's
     * POST and a GET /health must be answered within {@link #SLOW_FLOOD_BOUND}, and the slow requests must be
     * dropped (408) by the minimum data rate instead of holding their threads for the 200 s their bodies would
     * take.
     */
    @Test
    void aFloodOfSlowBodiesDoesNotStopOtherClients() throws Exception {
        server.stop();
        int threads = 16;
        server = PublishingApiServer.start(withPayments(), ServerLimits.DEFAULTS.withMaxThreads(threads));
        int slowClients = 2 * threads;
        List<Socket> slow = new ArrayList<>();
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        try {
            long floodStarted = System.nanoTime();
            for (int i = 0; i < slowClients; i++) {
                Socket socket = new Socket();
                slow.add(socket);
                socket.connect(new InetSocketAddress(server.baseUri().getHost(), server.port()), 5_000);
                socket.setSoTimeout((int) SLOW_FLOOD_BOUND.multipliedBy(2).toMillis());
                String body = postJson(account, "slow " + i);
                String head = "POST /posts HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                        + "Idempotency-Key: " + newKey() + "\r\n" + PublishingApiServer.CLIENT_HEADER + ": " + apiKey
                        + "\r\nContent-Length: " + body.length() + "\r\n\r\n";
                socket.getOutputStream().write((head + body.charAt(0)).getBytes(StandardCharsets.UTF_8));
                byte[] rest = body.substring(1).getBytes(StandardCharsets.UTF_8);
                int[] sent = {0};
                trickle.scheduleAtFixedRate(() -> {
                    try {
                        if (sent[0] < rest.length) {
                            socket.getOutputStream().write(rest[sent[0]++]);
                        }
                    } catch (IOException e) {
                        // Dropped by the server: nothing more to send on this connection.
                    }
                }, 2, 2, TimeUnit.SECONDS);
            }
            // Every thread the pool may start is taken and requests wait for one: the pool is flooded.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (server.threadPool().getQueueSize() == 0) {
                assertTrue(System.nanoTime() < deadline, "the slow requests never filled the pool: "
                        + server.threadPool());
                Thread.sleep(10);
            }

            // The client's own timeout is the bound: a request still waiting for a thread then fails the test.
            CompletableFuture<HttpResponse<byte[]>> post = HTTP.sendAsync(createPost(newKey(), account,
                    "not slow").timeout(SLOW_FLOOD_BOUND).build(), HttpResponse.BodyHandlers.ofByteArray());
            CompletableFuture<HttpResponse<byte[]>> health = HTTP.sendAsync(HttpRequest.newBuilder(
                    uri(PublishingApiServer.HEALTH_PATH)).timeout(SLOW_FLOOD_BOUND).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(201, post.get().statusCode(), text(post.get()));
            assertEquals(200, health.get().statusCode(), text(health.get()));

            // Each slow request is answered 408, long before its body could have arrived (a minute and more).
            for (Socket socket : slow) {
                RawHttp.Response response = RawHttp.read(socket.getInputStream());
                assertEquals(408, response.status(), response.toString());
                assertEquals(Problems.MEDIA_TYPE, response.header("Content-Type").orElse(null), response.toString());
                assertEquals("close", response.header("Connection").orElse(null), response.toString());
            }
            Duration flood = Duration.ofNanos(System.nanoTime() - floodStarted);
            assertTrue(flood.compareTo(SLOW_FLOOD_BOUND.multipliedBy(2)) < 0, "the flood lasted " + flood);
            assertEquals(1, countPosts(account), "only the client that was not slow posted");
        } finally {
            trickle.shutdownNow();
            for (Socket socket : slow) {
                socket.close();
            }
        }
    }

    // ----- refusals by the container, before any filter runs -----

    @Test
    void requestsTheHttpParserRefusesGetProblemsThatQuoteNothingBack() throws Exception {
        String marker = "echo-" + UUID.randomUUID();
        String longValue = marker + "a".repeat(9000);
        String post = "POST /posts HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + "Idempotency-Key: " + newKey() + "\r\n" + PublishingApiServer.CLIENT_HEADER + ": " + apiKey + "\r\n";
        Object[][] cases = {
            // A control character in a header value.
            {400, "header", "GET /health HTTP/1.1\r\nHost: test\r\nX-Note: <b>" + marker + "\u0001</b>\r\n\r\n"},
            // A header name that is not a token.
            {400, "header", "GET /health HTTP/1.1\r\nHost: test\r\nX Bad" + marker + ": 1\r\n\r\n"},
            // Headers larger than the server reads.
            {431, "header", "GET /health HTTP/1.1\r\nHost: test\r\nX-Big: " + longValue + "\r\n\r\n"},
            // Content-Length that is not a number, and two that disagree.
            {400, "Content-Length", post + "Content-Length: " + marker + "\r\n\r\n{}"},
            {400, "Content-Length", post + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"},
            // A path that means different things to different servers.
            {400, "path", "GET /posts/%2e%2e/health?" + marker + " HTTP/1.1\r\nHost: test\r\n\r\n"},
            {400, "path", "GET /posts/..%2Fhealth?" + marker + " HTTP/1.1\r\nHost: test\r\n\r\n"},
            // A request target longer than the server reads.
            {414, "URI", "GET /posts?account_id=" + longValue + " HTTP/1.1\r\nHost: test\r\n\r\n"},
            // No Host, which HTTP/1.1 requires, and one that is not the target's.
            {400, "Host", "GET /health HTTP/1.1\r\nX-Note: " + marker + "\r\n\r\n"},
            {400, "Host", "GET http://" + marker + "/health HTTP/1.1\r\nHost: test\r\n\r\n"},
            // Two ways of saying where the body ends.
            {400, "Transfer-Encoding",
                post + "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n"},
            // A method that is not a token.
            {400, "request line", "G(" + marker + ") /health HTTP/1.1\r\nHost: test\r\n\r\n"},
            // Escapes that do not decode, in the path and in the query (the latter found by the servlet layer).
            {400, "UTF-8", "GET /posts/%ff" + marker + " HTTP/1.1\r\nHost: test\r\n\r\n"},
            {400, "query", "GET /posts?account_id=%zz" + marker + " HTTP/1.1\r\nHost: test\r\n\r\n"},
            // A version the server does not speak.
            {505, "HTTP/1.1", "GET /health?" + marker + " HTTP/3.0\r\nHost: test\r\n\r\n"},
        };
        for (Object[] c : cases) {
            String request = (String) c[2];
            String shown = request.substring(0, Math.min(request.length(), 80)).replace("\r\n", " | ");
            RawHttp.Response response = RawHttp.exchange(server.baseUri(), request);

            assertEquals(c[0], response.status(), shown + " -> " + response);
            assertEquals(Problems.MEDIA_TYPE, response.header("Content-Type").orElse(null), shown + " -> " + response);
            JsonNode problem = JSON.readTree(response.body());
            assertEquals(c[0], problem.path("status").asInt(), shown + " -> " + response);
            assertTrue(problem.path("type").asText().startsWith("urn:idempotency-example:problem:"), response.text());
            String detail = problem.path("detail").asText();
            assertTrue(detail.contains((String) c[1]), shown + " -> detail '" + detail + "' should name " + c[1]);
            assertFalse(response.text().contains(marker), shown + " -> " + response);
            assertFalse(response.text().contains("<b>") || response.text().contains("Jetty"), response.text());
        }
        assertEquals(0, countPosts(account));
    }

    // ----- post.published: outbox, signed webhook, receiver -----

    @Test
    void aPostIsRelayedAsOneSignedWebhookAndRecordedOnce() throws Exception {
        HttpResponse<byte[]> created = send(createPost(newKey(), account, "Hello, exactly once"));
        assertEquals(201, created.statusCode());
        JsonNode post = json(created);
        long postId = post.get("id").asLong();

        List<JsonNode> receipts = awaitReceipts(postId);
        awaitNoEventPending(account);

        assertEquals(1, receipts.size(), receipts.toString());
        JsonNode receipt = receipts.get(0);
        String webhookId = receipt.get("webhook_id").asText();
        assertTrue(webhookId.matches("msg_[0-9a-f]{32}"), webhookId);
        assertEquals(PostEvents.PUBLISHED, receipt.get("type").asText());
        assertEquals(postId, receipt.get("post_id").asLong());
        assertEquals(account, receipt.get("account_id").asText());
        JsonNode event = receipt.get("event");
        assertEquals(PostEvents.PUBLISHED, event.get("type").asText());
        assertEquals(post.get("created_at").asText(), event.get("timestamp").asText());
        assertEquals(post, event.get("data"), "the event carries the post as the API answered it");
        assertEquals(1, countReceipts(account));
        assertEquals(1, inboxMarkers(webhookId), "the receiver's inbox marker for the webhook-id");
        assertEquals(server.baseUri().resolve(PublishingApiServer.WEBHOOK_PATH), server.webhookUrl());
    }

    @Test
    void aReplayedPostPublishesNoSecondEvent() throws Exception {
        String key = newKey();
        HttpResponse<byte[]> first = send(createPost(key, account, "once"));
        HttpResponse<byte[]> retry = send(createPost(key, account, "once"));
        assertEquals(201, first.statusCode());
        assertEquals("true", retry.headers().firstValue(REPLAYED).orElseThrow());

        assertEquals(1, awaitReceipts(json(first).get("id").asLong()).size());
        // A second event would have been committed before the retry's answer; once nothing of the account is
        // pending any more, it would have been received.
        awaitNoEventPending(account);
        assertEquals(1, countReceipts(account));
        assertEquals(1, countPosts(account));
    }

    @Test
    void aFailedPostLeavesNeitherPostNorEvent() throws Exception {
        String key = newKey();
        HttpResponse<byte[]> failed = send(createPost(key, account, "fails once")
                .header(PostsServlet.FAIL_HEADER, "true").build());

        assertProblem(failed, 500, Problems.SERVER_ERROR_TYPE);
        assertEquals(0, countPosts(account));
        assertEquals(0, eventsInOutbox(account), "the event was rolled back with the post");

        HttpResponse<byte[]> retry = send(createPost(key, account, "fails once"));
        assertEquals(201, retry.statusCode());
        assertEquals(1, awaitReceipts(json(retry).get("id").asLong()).size());
        // The account is the events' ordering key: an event of the failed request, had it been committed, would
        // have been delivered before the retry's.
        awaitNoEventPending(account);
        assertEquals(1, countReceipts(account), "only the retry's event was ever delivered");
    }

    @Test
    void aRedeliveredWebhookIsAnsweredAsADuplicateAndRecordedOnce() throws Exception {
        long postId = json(send(createPost(newKey(), account, "delivered twice"))).get("id").asLong();
        JsonNode receipt = awaitReceipts(postId).get(0);
        String webhookId = receipt.get("webhook_id").asText();
        byte[] payload = storedPayload(webhookId);

        // As the relay redelivers after a lost answer: the same id and body, signed anew.
        for (int i = 0; i < 2; i++) {
            HttpResponse<byte[]> duplicate = send(webhook(signer().sign(webhookId, payload), payload));
            assertEquals(WebhookReceiverFilter.DUPLICATE_STATUS, duplicate.statusCode(), text(duplicate));
            assertEquals("true", duplicate.headers().firstValue(WebhookReceiverFilter.DUPLICATE_HEADER).orElseThrow());
            assertEquals(0, duplicate.body().length);
        }

        assertEquals(List.of(receipt), receipts(postId));
        assertEquals(1, countReceipts(account));
    }

    @Test
    void aWebhookWithABadSignatureIsRefusedAndNothingIsRecorded() throws Exception {
        long postId = ThreadLocalRandom.current().nextLong(1_000_000_000L, Long.MAX_VALUE);
        String webhookId = PostEvents.ID_PREFIX + UUID.randomUUID().toString().replace("-", "");
        byte[] payload = eventJson(postId, account, "forged?");

        HttpResponse<byte[]> otherSecret = send(webhook(WebhookSigner.create(WebhookSecret.generate())
                .sign(webhookId, payload), payload));
        byte[] tampered = eventJson(postId, account, "tampered");
        HttpResponse<byte[]> tamperedBody = send(webhook(signer().sign(webhookId, payload), tampered));
        HttpResponse<byte[]> unsigned = send(HttpRequest.newBuilder(uri(PublishingApiServer.WEBHOOK_PATH))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(payload)).build());

        assertProblem(otherSecret, 401, "urn:idempotency:problem:webhook-signature-mismatch");
        assertProblem(tamperedBody, 401, "urn:idempotency:problem:webhook-signature-mismatch");
        assertProblem(unsigned, 401, "urn:idempotency:problem:webhook-missing-header");
        assertEquals(0, countReceipts(account));
        assertEquals(0, inboxMarkers(webhookId));

        // The same webhook, signed with the demo's secret, is applied: the refusals were the signature's.
        HttpResponse<byte[]> genuine = send(webhook(signer().sign(webhookId, payload), payload));
        assertEquals(200, genuine.statusCode(), text(genuine));
        assertEquals(1, receipts(postId).size());
    }

    @Test
    void theReceiverIsNotBehindTheIdempotencyFilterAndRunsBesideAnIdempotentPost() throws Exception {
        String key = newKey();
        CompletableFuture<HttpResponse<byte[]>> slow = HTTP.sendAsync(createPost(key, account, "slow")
                .header(PostsServlet.DELAY_HEADER, "1500").build(), HttpResponse.BodyHandlers.ofByteArray());
        awaitAPostHandlerInItsDelay();
        long postId = ThreadLocalRandom.current().nextLong(1_000_000_000L, Long.MAX_VALUE);
        String webhookId = PostEvents.ID_PREFIX + UUID.randomUUID().toString().replace("-", "");
        byte[] payload = eventJson(postId, account, "received while a post is in progress");

        // No Idempotency-Key, no X-Api-Key: the idempotency filter would refuse this (400) if it covered the path.
        HttpResponse<byte[]> received = send(webhook(signer().sign(webhookId, payload), payload));

        assertEquals(200, received.statusCode(), text(received));
        assertFalse(received.headers().firstValue(REPLAYED).isPresent());
        assertEquals(webhookId, json(received).get("webhook_id").asText());
        assertFalse(slow.isDone(), "the idempotent POST was still in its handler, holding its transaction");
        HttpResponse<byte[]> created = slow.get(30, TimeUnit.SECONDS);
        assertEquals(201, created.statusCode(), text(created));
        assertEquals(1, receipts(postId).size());
        assertEquals(1, awaitReceipts(json(created).get("id").asLong()).size());
        // GET passes through both filters untouched.
        assertEquals(200, send(get(PublishingApiServer.RECEIVED_PATH)).statusCode());
        assertProblem(send(get(PublishingApiServer.RECEIVED_PATH + "?post_id=abc")), 400, Problems.INVALID_REQUEST_TYPE);
    }

    // ----- helpers -----

    WebhookSigner signer() {
        return WebhookSigner.create(server.webhookSecret());
    }

    /** A signed delivery to the demo's receiver, as a sender makes it. */
    HttpRequest webhook(SignedWebhook signed, byte[] body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(PublishingApiServer.WEBHOOK_PATH))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (Header header : signed.headers()) {
            request.header(header.name(), header.value());
        }
        return request.build();
    }

    static byte[] eventJson(long postId, String accountId, String content) {
        ObjectNode event = JSON.createObjectNode()
                .put("type", PostEvents.PUBLISHED).put("timestamp", Instant.now().toString());
        event.putObject("data").put("id", postId).put("account_id", accountId).put("content", content)
                .put("created_at", Instant.now().toString());
        return event.toString().getBytes(StandardCharsets.UTF_8);
    }

    List<JsonNode> receipts(long postId) throws Exception {
        HttpResponse<byte[]> response = send(get(PublishingApiServer.RECEIVED_PATH + "?post_id=" + postId));
        assertEquals(200, response.statusCode(), text(response));
        List<JsonNode> receipts = new ArrayList<>();
        json(response).forEach(receipts::add);
        return receipts;
    }

    /**
     * Waits until a thread of the server, which runs in this JVM, stands in the {@value PostsServlet#DELAY_HEADER}
     * delay of {@code POST /posts}: past its insert, holding its key and its transaction. A fixed sleep would
     * only hope it had got there.
     */
    static void awaitAPostHandlerInItsDelay() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Thread.getAllStackTraces().values().stream().noneMatch(PublishingApiScenarios::inPostDelay)) {
            assertTrue(System.nanoTime() < deadline, "no POST /posts reached its delay within 10 s");
            Thread.sleep(10);
        }
    }

    private static boolean inPostDelay(StackTraceElement[] stack) {
        for (int i = 0; i + 1 < stack.length; i++) {
            if (stack[i].getClassName().equals(PostsServlet.class.getName()) && stack[i].getMethodName().equals("sleep")
                    && stack[i + 1].getClassName().equals(PostsServlet.class.getName())) {
                return true;
            }
        }
        return false;
    }

    /** The receipts of {@code postId} once there is one. */
    List<JsonNode> awaitReceipts(long postId) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<JsonNode> receipts = receipts(postId);
        while (receipts.isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "no receipt for post " + postId + " within 10 s");
            Thread.sleep(50);
            receipts = receipts(postId);
        }
        return receipts;
    }

    /** Waits until no event of {@code accountId} (the events' ordering key) is left in the outbox. */
    void awaitNoEventPending(String accountId) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (eventsInOutbox(accountId) > 0) {
            assertTrue(System.nanoTime() < deadline, "events of " + accountId + " still in the outbox after 10 s");
            Thread.sleep(50);
        }
    }

    /** The account's events in the outbox, in any state (delivered ones are deleted when marked). */
    int eventsInOutbox(String accountId) throws SQLException {
        return count("SELECT COUNT(*) FROM idempotency_outbox WHERE message_key = ?", accountId);
    }

    int countReceipts(String accountId) throws SQLException {
        return count("SELECT COUNT(*) FROM received_events WHERE account_id = ?", accountId);
    }

    int inboxMarkers(String webhookId) throws SQLException {
        return count("SELECT COUNT(*) FROM idempotency_inbox WHERE consumer = '" + PublishingApiServer.WEBHOOK_CONSUMER
                + "' AND message_id = ?", webhookId);
    }

    byte[] storedPayload(String webhookId) throws SQLException {
        try (Connection connection = server.dataSource().getConnection();
                PreparedStatement select = connection.prepareStatement(
                        "SELECT payload FROM received_events WHERE webhook_id = ?")) {
            select.setString(1, webhookId);
            try (ResultSet row = select.executeQuery()) {
                assertTrue(row.next(), "a receipt for " + webhookId);
                return row.getString(1).getBytes(StandardCharsets.UTF_8);
            }
        }
    }

    private int count(String sql, String parameter) throws SQLException {
        try (Connection connection = server.dataSource().getConnection();
                PreparedStatement count = connection.prepareStatement(sql)) {
            count.setString(1, parameter);
            try (ResultSet row = count.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        }
    }

    static String text(HttpResponse<byte[]> response) {
        return response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8);
    }

    HttpRequest.Builder createPost(String key, String accountId, String content) {
        return postBuilder(key, postJson(accountId, content));
    }

    HttpRequest post(String key, String body) {
        return postBuilder(key, body).build();
    }

    static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    HttpRequest.Builder postBuilder(String key, String body) {
        return HttpRequest.newBuilder(uri("/posts"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .header(PublishingApiServer.CLIENT_HEADER, apiKey)
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    HttpRequest pay(String key, String accountId, long amount) {
        return payBuilder(key, accountId, amount).build();
    }

    HttpRequest.Builder payBuilder(String key, String accountId, long amount) {
        return paymentRequest(key, JSON.createObjectNode().put("account_id", accountId).put("amount", amount).toString());
    }

    HttpRequest.Builder paymentRequest(String key, String body) {
        return HttpRequest.newBuilder(uri("/payments"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .header(PublishingApiServer.CLIENT_HEADER, apiKey)
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    List<JsonNode> listPayments(String accountId) throws Exception {
        HttpResponse<byte[]> response = send(get("/payments?account_id=" + accountId));
        assertEquals(200, response.statusCode());
        List<JsonNode> payments = new ArrayList<>();
        json(response).forEach(payments::add);
        return payments;
    }

    private void awaitCalls(int calls) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (paymentService.calls() < calls) {
            assertTrue(System.nanoTime() < deadline, "the payment service was not called in time");
            Thread.sleep(10);
        }
    }

    HttpRequest get(String pathAndQuery) {
        return HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(30)).GET().build();
    }

    URI uri(String pathAndQuery) {
        return server.baseUri().resolve(pathAndQuery);
    }

    static HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return send(request.build());
    }

    static HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException {
        return HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    static JsonNode json(HttpResponse<byte[]> response) throws IOException {
        return JSON.readTree(response.body());
    }

    static String postJson(String accountId, String content) {
        return JSON.createObjectNode().put("account_id", accountId).put("content", content).toString();
    }

    static String newKey() {
        return UUID.randomUUID().toString();
    }

    static void assertProblem(HttpResponse<byte[]> response, int status, String type) throws IOException {
        String shown = status + " " + type + " expected, got " + response.statusCode() + " "
                + new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(status, response.statusCode(), shown);
        assertEquals(Problems.MEDIA_TYPE, response.headers().firstValue("Content-Type").orElse(null), shown);
        JsonNode problem = json(response);
        assertEquals(type, problem.path("type").asText(), shown);
        assertEquals(status, problem.path("status").asInt(), shown);
        assertNotNull(problem.get("detail"), shown);
    }

    List<JsonNode> listPosts(String accountId) throws Exception {
        HttpResponse<byte[]> response = send(get("/posts?account_id=" + accountId));
        assertEquals(200, response.statusCode());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElseThrow());
        List<JsonNode> posts = new ArrayList<>();
        json(response).forEach(posts::add);
        return posts;
    }

    int countPosts(String accountId) throws SQLException {
        try (Connection connection = server.dataSource().getConnection();
                PreparedStatement count = connection.prepareStatement("SELECT COUNT(*) FROM posts WHERE account_id = ?")) {
            count.setString(1, accountId);
            try (ResultSet row = count.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        }
    }

    /**
     * The versions a Flyway history table records as applied, in order; its name is quoted as Flyway does.
     * Flyway's own marker rows (such as "history table created" on H2) have no version and are left out.
     */
    List<String> successfulVersions(String historyTable) throws SQLException {
        try (Connection connection = server.dataSource().getConnection()) {
            // Flyway quotes its lower-case names on H2, whose unquoted names are upper case; MariaDB and MySQL
            // quote with backticks, so the driver says how.
            String q = connection.getMetaData().getIdentifierQuoteString();
            try (PreparedStatement select = connection.prepareStatement("SELECT " + q + "version" + q + " FROM " + q
                    + historyTable + q + " WHERE " + q + "success" + q + " = TRUE AND " + q + "version" + q
                    + " IS NOT NULL ORDER BY " + q + "installed_rank" + q);
                    ResultSet rows = select.executeQuery()) {
                List<String> versions = new ArrayList<>();
                while (rows.next()) {
                    versions.add(rows.getString(1));
                }
                return versions;
            }
        }
    }
}
