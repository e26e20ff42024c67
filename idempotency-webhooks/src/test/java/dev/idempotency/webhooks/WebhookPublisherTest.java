package dev.idempotency.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.testing.MutableClock;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.idempotency.Header;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.PublishResult;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link WebhookPublisher} against a real HTTP server (the JDK's), which records what arrives. */
class WebhookPublisherTest {

    private static final long START = 1_760_000_000L;
    private static final byte[] PAYLOAD = "{\"type\":\"post.published\",\"data\":{\"id\":42}}"
            .getBytes(StandardCharsets.UTF_8);

    private final WebhookSecret secret = WebhookSecret.generate();
    private final MutableClock clock = MutableClock.atEpochSecond(START);
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private volatile Answer answer = new Answer(200, Map.of(), "", 0);
    private HttpServer server;
    private WebhookPublisher publisher;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
        publisher = WebhookPublisher.builder(WebhookSigner.builder().secrets(secret).clock(clock).build())
                .clock(clock).build();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    // ---- what is sent -------------------------------------------------------------------------

    /** The example of the W3C Trace Context recommendation, section 3.2.2.1. */
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void postsThePayloadWithTheMessagesHeadersAndTheSignatureHeaders() throws Exception {
        OutboxMessage message = message(url("/hooks/posts"),
                List.of(new Header("X-Tenant", "acme"), new Header("Content-Type", "application/cloudevents+json"),
                        new Header("traceparent", TRACEPARENT)));
        assertInstanceOf(PublishResult.Delivered.class, publisher.publish(message, 1));

        Received request = next();
        assertEquals("POST", request.method());
        assertEquals("/hooks/posts", request.path());
        assertEquals(new String(PAYLOAD, StandardCharsets.UTF_8), new String(request.body(), StandardCharsets.UTF_8));
        assertEquals(List.of("acme"), request.header("X-Tenant"));
        assertEquals(List.of("application/cloudevents+json"), request.header("Content-Type"));
        assertEquals(List.of(TRACEPARENT), request.header("traceparent"),
                "the trace context the outbox stored with the message reaches the receiver");
        assertEquals(List.of(message.id()), request.header(WebhookHeaders.ID));
        assertEquals(List.of(Long.toString(START)), request.header(WebhookHeaders.TIMESTAMP));
        assertTrue(request.header(WebhookHeaders.SIGNATURE).get(0).startsWith("v1,"));

        WebhookVerifier receiver = WebhookVerifier.builder().secrets(secret).clock(clock).build();
        assertEquals(message.id(), receiver.verify(request.headers(), request.body()).id(),
                "the receiver verifies what was sent, over the bytes as received");
    }

    @Test
    void sendsJsonAsTheContentTypeWhenTheMessageNamesNone() throws Exception {
        publisher.publish(message(url("/hooks"), List.of()), 1);
        assertEquals(List.of(WebhookPublisher.DEFAULT_CONTENT_TYPE), next().header("Content-Type"));
    }

    @Test
    void everyAttemptKeepsTheIdAndIsSignedWithANewTimestamp() throws Exception {
        OutboxMessage message = message(url("/hooks"), List.of());
        answer = new Answer(503, Map.of(), "busy", 0);
        assertInstanceOf(PublishResult.Retry.class, publisher.publish(message, 1));
        clock.advance(Duration.ofMinutes(30));
        answer = new Answer(200, Map.of(), "", 0);
        assertInstanceOf(PublishResult.Delivered.class, publisher.publish(message, 2));

        Received first = next();
        Received second = next();
        assertEquals(first.header(WebhookHeaders.ID), second.header(WebhookHeaders.ID));
        assertEquals(List.of(message.id()), second.header(WebhookHeaders.ID));
        assertEquals(List.of(Long.toString(START)), first.header(WebhookHeaders.TIMESTAMP));
        assertEquals(List.of(Long.toString(START + 1800)), second.header(WebhookHeaders.TIMESTAMP));
        assertNotEquals(first.header(WebhookHeaders.SIGNATURE), second.header(WebhookHeaders.SIGNATURE));

        // The second attempt verifies now; the first, re-sent as it was, would be refused as a replay.
        WebhookVerifier receiver = WebhookVerifier.builder().secrets(secret).clock(clock).build();
        receiver.verify(second.headers(), second.body());
        WebhookVerificationException stale = assertThrows(WebhookVerificationException.class,
                () -> receiver.verify(first.headers(), first.body()));
        assertEquals(WebhookVerificationException.Reason.TIMESTAMP_TOO_OLD, stale.reason());
    }

    @Test
    void signatureHeadersInTheMessageAreReplacedByFreshOnes() throws Exception {
        OutboxMessage message = message(url("/hooks"), List.of(new Header("Webhook-Id", "forged"),
                new Header("webhook-signature", "v1,forged"), new Header("WEBHOOK-TIMESTAMP", "1")));
        publisher.publish(message, 1);
        Received request = next();
        assertEquals(List.of(message.id()), request.header(WebhookHeaders.ID));
        assertEquals(List.of(Long.toString(START)), request.header(WebhookHeaders.TIMESTAMP));
        assertEquals(1, request.header(WebhookHeaders.SIGNATURE).size());
        assertFalse(request.header(WebhookHeaders.SIGNATURE).get(0).contains("forged"));
    }

    @Test
    void duringRotationEveryAttemptCarriesOneSignaturePerSecret() throws Exception {
        WebhookSecret next = WebhookSecret.generate();
        WebhookPublisher rotating = WebhookPublisher.create(
                WebhookSigner.builder().secrets(next, secret).clock(clock).build());
        rotating.publish(message(url("/hooks"), List.of()), 1);
        Received request = next();
        assertEquals(2, request.header(WebhookHeaders.SIGNATURE).get(0).split(" ").length);
        WebhookVerifier.builder().secrets(secret).clock(clock).build().verify(request.headers(), request.body());
        WebhookVerifier.builder().secrets(next).clock(clock).build().verify(request.headers(), request.body());
    }

    // ---- status mapping -----------------------------------------------------------------------

    @Test
    void every2xxIsDelivered() throws Exception {
        for (int status : new int[] {200, 201, 202, 204, 299}) {
            answer = new Answer(status, Map.of(), status == 204 ? "" : "ok", 0);
            assertInstanceOf(PublishResult.Delivered.class, publisher.publish(message(url("/hooks"), List.of()), 1),
                    "status " + status);
        }
    }

    @Test
    void clientErrorsAreRejectedWithTheStatusDestinationAndTheStartOfTheAnswer() throws Exception {
        for (int status : new int[] {400, 401, 403, 404, 405, 410, 413, 415, 422}) {
            answer = new Answer(status, Map.of(), "{\"error\":\"nope " + status + "\"}", 0);
            PublishResult result = publisher.publish(message(url("/hooks"), List.of()), 1);
            PublishResult.Rejected rejected = assertInstanceOf(PublishResult.Rejected.class, result,
                    "status " + status);
            assertTrue(rejected.error().startsWith("HTTP " + status + " from " + url("/hooks")), rejected.error());
            assertTrue(rejected.error().contains("nope " + status), rejected.error());
        }
    }

    @Test
    void serverErrorsAndTryLaterClientErrorsAreRetried() throws Exception {
        for (int status : new int[] {408, 409, 425, 429, 500, 501, 502, 503, 504, 599}) {
            answer = new Answer(status, Map.of(), "later", 0);
            PublishResult.Retry retry = assertInstanceOf(PublishResult.Retry.class,
                    publisher.publish(message(url("/hooks"), List.of()), 3), "status " + status);
            assertEquals(Optional.empty(), retry.after());
            assertTrue(retry.error().startsWith("HTTP " + status), retry.error());
        }
    }

    @Test
    void retryAfterInSecondsIsHonoured() throws Exception {
        answer = new Answer(429, Map.of("Retry-After", "120"), "slow down", 0);
        PublishResult.Retry retry = assertInstanceOf(PublishResult.Retry.class,
                publisher.publish(message(url("/hooks"), List.of()), 1));
        assertEquals(Optional.of(Duration.ofSeconds(120)), retry.after());
        assertTrue(retry.error().contains("HTTP 429") && retry.error().contains("slow down"), retry.error());
    }

    @Test
    void retryAfterAsAnHttpDateIsHonouredFromThePublishersClock() throws Exception {
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC)
                .format(Instant.ofEpochSecond(START + 90));
        answer = new Answer(503, Map.of("Retry-After", date), "", 0);
        PublishResult.Retry retry = assertInstanceOf(PublishResult.Retry.class,
                publisher.publish(message(url("/hooks"), List.of()), 1));
        assertEquals(Optional.of(Duration.ofSeconds(90)), retry.after());
    }

    @Test
    void anUnreadableRetryAfterLeavesTheDelayToTheRelay() throws Exception {
        answer = new Answer(503, Map.of("Retry-After", "in a while"), "", 0);
        PublishResult.Retry retry = assertInstanceOf(PublishResult.Retry.class,
                publisher.publish(message(url("/hooks"), List.of()), 1));
        assertEquals(Optional.empty(), retry.after());
    }

    @Test
    void redirectsAreNotFollowedAndRejected() throws Exception {
        answer = new Answer(301, Map.of("Location", url("/elsewhere")), "", 0);
        PublishResult.Rejected rejected = assertInstanceOf(PublishResult.Rejected.class,
                publisher.publish(message(url("/hooks"), List.of()), 1));
        assertTrue(rejected.error().contains("HTTP 301") && rejected.error().contains("redirects are not followed"),
                rejected.error());
        assertEquals("/hooks", next().path());
        assertEquals(null, received.poll(200, TimeUnit.MILLISECONDS), "the redirect was not followed");
    }

    @Test
    void aSlowReceiverIsRetriedAfterTheTimeout() throws Exception {
        WebhookPublisher impatient = WebhookPublisher.builder(WebhookSigner.create(secret))
                .timeout(Duration.ofMillis(300)).build();
        answer = new Answer(200, Map.of(), "", 2000);
        long started = System.nanoTime();
        PublishResult.Retry retry = assertInstanceOf(PublishResult.Retry.class,
                impatient.publish(message(url("/hooks"), List.of()), 1));
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(2), "gave up at the timeout");
        assertTrue(retry.error().contains("within 300 ms"), retry.error());
    }

    @Test
    void aRefusedConnectionIsRetried() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        PublishResult.Retry retry = assertInstanceOf(PublishResult.Retry.class,
                publisher.publish(message("http://127.0.0.1:" + closedPort + "/hooks", List.of()), 1));
        assertTrue(retry.error().contains("Could not deliver to http://127.0.0.1:" + closedPort + "/hooks"),
                retry.error());
    }

    @Test
    void aHugeAnswerIsReadOnlyInPartAndQuotedBriefly() throws Exception {
        answer = new Answer(400, Map.of(), "x".repeat(1_000_000), 0);
        PublishResult.Rejected rejected = assertInstanceOf(PublishResult.Rejected.class,
                publisher.publish(message(url("/hooks"), List.of()), 1));
        assertTrue(rejected.error().length() < 400, rejected.error());
        assertTrue(rejected.error().endsWith("..."), rejected.error());
    }

    @Test
    void errorsNeverQuoteTheDestinationsQuery() throws Exception {
        answer = new Answer(500, Map.of(), "", 0);
        PublishResult.Retry retry = assertInstanceOf(PublishResult.Retry.class,
                publisher.publish(message(url("/hooks?token=s3cr3t"), List.of()), 1));
        assertFalse(retry.error().contains("s3cr3t"), retry.error());
        assertEquals("/hooks?token=s3cr3t", next().path(), "the query is sent, just not repeated in errors");
    }

    // ---- refused before sending ---------------------------------------------------------------

    @Test
    void aDestinationThatIsNotAnAbsoluteHttpUrlIsRejectedWithoutARequest() throws Exception {
        for (String destination : List.of("orders-topic", "/hooks", "ftp://example.com/hooks", "http://",
                "http://exa mple.com/")) {
            PublishResult.Rejected rejected = assertInstanceOf(PublishResult.Rejected.class,
                    publisher.publish(message(destination, List.of()), 1), destination);
            assertTrue(rejected.error().contains("http(s) URL"), rejected.error());
        }
        assertEquals(null, received.poll(100, TimeUnit.MILLISECONDS));
    }

    @Test
    void aHeaderTheHttpClientSetsItselfIsRejectedWithoutARequest() throws Exception {
        PublishResult.Rejected rejected = assertInstanceOf(PublishResult.Rejected.class,
                publisher.publish(message(url("/hooks"), List.of(new Header("Host", "evil.example"))), 1));
        assertTrue(rejected.error().contains("Host header"), rejected.error());
        assertEquals(null, received.poll(100, TimeUnit.MILLISECONDS));
    }

    @Test
    void anIdThatCannotBeSignedIsRejectedWithoutARequest() throws Exception {
        OutboxMessage dotted = new OutboxMessage("post.published.42", url("/hooks"), null, PAYLOAD, List.of(),
                Instant.ofEpochSecond(START));
        PublishResult.Rejected rejected = assertInstanceOf(PublishResult.Rejected.class, publisher.publish(dotted, 1));
        assertTrue(rejected.error().contains("full stop"), rejected.error());
    }

    @Test
    void timeoutsMustBePositive() {
        WebhookPublisher.Builder builder = WebhookPublisher.builder(WebhookSigner.create(secret));
        assertEquals("timeout", assertThrows(IdempotencyConfigException.class,
                () -> builder.timeout(Duration.ZERO)).setting());
        assertEquals("connectTimeout", assertThrows(IdempotencyConfigException.class,
                () -> builder.connectTimeout(Duration.ofSeconds(-1))).setting());
        assertEquals(WebhookPublisher.DEFAULT_TIMEOUT, builder.build().timeout());
    }

    // ---- the server ---------------------------------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name, List.copyOf(values)));
            received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(), headers, body));
            Answer current = answer;
            if (current.delayMillis() > 0) {
                try {
                    Thread.sleep(current.delayMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            current.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
            byte[] answerBody = current.body().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(current.status(), answerBody.length == 0 ? -1 : answerBody.length);
            if (answerBody.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answerBody);
                } catch (IOException e) {
                    // The publisher stops reading a huge answer; the rest has nowhere to go.
                }
            }
        }
    }

    private Received next() throws InterruptedException {
        Received request = received.poll(10, TimeUnit.SECONDS);
        assertTrue(request != null, "no request arrived");
        return request;
    }

    private String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    private static OutboxMessage message(String destination, List<Header> headers) {
        return new OutboxMessage("msg_" + java.util.UUID.randomUUID().toString().replace("-", ""), destination,
                "post-42", PAYLOAD, headers, Instant.ofEpochSecond(START));
    }

    private record Answer(int status, Map<String, String> headers, String body, long delayMillis) {
    }

    private record Received(String method, String path, Map<String, List<String>> headers, byte[] body) {

        List<String> header(String name) {
            return headers.getOrDefault(name, new ArrayList<>());
        }
    }
}
