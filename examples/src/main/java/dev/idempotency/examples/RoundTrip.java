package dev.idempotency.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.Header;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.IdempotencyHeaders;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.nats.JetStreamPublisher;
import dev.idempotency.webhooks.SignedWebhook;
import dev.idempotency.webhooks.WebhookReceiverFilter;
import dev.idempotency.webhooks.WebhookSigner;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * {@code --round-trip}: exactly-once processing end to end, in one command. Starts the server (on a free port
 * and a temporary embedded database unless told otherwise), then, printing one line per step:
 * <ol>
 * <li>{@code POST /posts} with an {@code Idempotency-Key}: 201, and the {@code post.published} event enters
 * the outbox in the same transaction;</li>
 * <li>the same request again: replayed from the stored response, still one post, so no second event;</li>
 * <li>waits (at most {@link #DELIVERY_TIMEOUT}) until the relay has delivered the event as a signed webhook
 * to the demo's own receiver, and shows its {@code webhook-id};</li>
 * <li>checks that the receiver verified it and recorded it once ({@code GET /webhooks/received?post_id=});</li>
 * <li>delivers that webhook again, with the same {@code webhook-id} and body, signed anew as the relay signs
 * a retry: 204 duplicate, still one receipt;</li>
 * <li>sends a webhook with a tampered signature: 401, nothing recorded;</li>
 * </ol>
 * With {@code --broker} the event goes through the broker instead, and steps 3 on are:
 * <ol start="3">
 * <li>waits (at most {@link #DELIVERY_TIMEOUT}) until the relay has published the event to the broker and the
 * demo's inbox consumer has recorded it, and shows its id;</li>
 * <li>checks that it was recorded once ({@code GET /webhooks/received?post_id=});</li>
 * <li>publishes the same message again, with its id, as a relay does when it dies between publishing and
 * marking: RabbitMQ and Kafka deliver it again, and the consumer's inbox must recognise it as a duplicate (the
 * duplicate count of {@code GET /metrics} goes up by one); JetStream drops it itself within its duplicate
 * window. Still one receipt.</li>
 * </ol>
 * The broker-side names are the round trip's own ({@value EventBroker#DEFAULT_NAME}{@code -rt-} and 8 hex
 * digits), deleted afterwards.
 *
 * <p>Then it stops the server, deletes the temporary database, and returns {@value #EXIT_OK}, or
 * {@value PublishingApiServer#EXIT_FAILURE} with the failed step's reason on the error stream, or
 * {@value PublishingApiServer#EXIT_USAGE} for an option value the server refuses (a malformed
 * {@code --webhook-secret}, say).
 */
final class RoundTrip {

    /** The exit status when every step held. */
    static final int EXIT_OK = 0;

    /** How long to wait for the relay to deliver the event to the receiver. */
    static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(10);

    /** The {@value PublishingApiServer#CLIENT_HEADER} the round trip posts with. */
    static final String CLIENT = "round-trip";

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);

    /** The metric line of the inbox's duplicates, in the Prometheus text format of {@code GET /metrics}. */
    private static final String DUPLICATES_METRIC = "idempotency_inbox_messages_total{result=\"duplicate\"";

    private final PublishingApiServer server;
    private final PrintStream out;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(REQUEST_TIMEOUT).build();
    private int step;

    private RoundTrip(PublishingApiServer server, PrintStream out) {
        this.server = server;
        this.out = out;
    }

    /**
     * Runs the round trip with {@code options} (whose {@link Options#roundTrip()} need not be set; their
     * {@link Options#webhookUrl()} must be empty), printing the steps on {@code out} and a failure on
     * {@code err}.
     *
     * @return the process's exit status: {@value #EXIT_OK} when every step held
     */
    static int run(Options options, PrintStream out, PrintStream err) {
        Objects.requireNonNull(options, "options");
        if (options.webhookUrl().isPresent()) {
            err.println(PublishingApiServer.PROGRAM + ": the round trip sends the event to the demo's own receiver; "
                    + "it cannot be combined with a webhook URL");
            return PublishingApiServer.EXIT_USAGE;
        }
        Path temporary = null;
        try {
            Options effective = options;
            if (options.temporaryDatabase()) {
                temporary = Files.createTempDirectory("idempotency-round-trip-");
                effective = options.withDataDir(temporary);
            }
            PublishingApiServer server;
            try {
                // The round trip's own broker-side names, deleted when the server stops: nothing of another run
                // (or of a demo serving with the default names) is in its queue, stream or topic.
                String brokerName = EventBroker.DEFAULT_NAME + "-rt-" + UUID.randomUUID().toString().substring(0, 8);
                server = PublishingApiServer.start(effective, ServerLimits.DEFAULTS, brokerName, true);
            } catch (IdempotencyConfigException | Options.UsageException e) {
                err.println(PublishingApiServer.PROGRAM + ": " + e.getMessage());
                return PublishingApiServer.EXIT_USAGE;
            }
            try (server) {
                if (server.broker().isPresent()) {
                    EventBroker broker = server.broker().get();
                    out.println("Round trip on " + server.baseUri() + ", " + database(options, temporary) + ", through "
                            + broker.describe() + " (deleted afterwards):");
                    EventBroker.Republication republication = new RoundTrip(server, out).brokerSteps(broker);
                    out.println("Round trip OK: one post, one event relayed to " + broker.uri().kind().displayName()
                            + " and consumed once; the republication was " + (republication
                            == EventBroker.Republication.DROPPED_BY_BROKER ? "dropped by the broker."
                            : "recognised as a duplicate by the inbox."));
                } else {
                    out.println("Round trip on " + server.baseUri() + ", " + database(options, temporary) + ":");
                    new RoundTrip(server, out).steps();
                    out.println("Round trip OK: one post, one event relayed as a signed webhook, one receipt; "
                            + "the redelivery was deduplicated and the tampered webhook refused.");
                }
                out.flush();
                return EXIT_OK;
            }
        } catch (StepFailed e) {
            err.println(PublishingApiServer.PROGRAM + ": round trip FAILED: " + e.getMessage());
            return PublishingApiServer.EXIT_FAILURE;
        } catch (Exception e) {
            err.println(PublishingApiServer.PROGRAM + ": round trip FAILED: " + e);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return PublishingApiServer.EXIT_FAILURE;
        } finally {
            if (temporary != null) {
                deleteRecursively(temporary, err);
            }
        }
    }

    /** Steps 1 and 2: a post and its replay. Returns the post. */
    private Posted postTwice() throws IOException, InterruptedException {
        // A fresh account per run: its events are ordered among themselves only, so nothing left pending in a
        // reused database (--data-dir, --jdbc-url) can hold this run's event back.
        String account = "round-trip-" + UUID.randomUUID().toString().substring(0, 8);
        String key = UUID.randomUUID().toString();
        String post = json.createObjectNode().put("account_id", account).put("content", "Hello, exactly once")
                .toString();

        HttpResponse<byte[]> created = send(postRequest(key, post));
        expectStatus(created, 201, "POST /posts");
        String location = created.headers().firstValue("Location").orElseThrow(
                () -> new StepFailed("POST /posts answered 201 without a Location"));
        long postedAt = System.nanoTime();
        long postId = json(created).path("id").asLong();
        print("POST /posts (Idempotency-Key " + key + ") -> 201 " + location);

        HttpResponse<byte[]> replayed = send(postRequest(key, post));
        expectStatus(replayed, 201, "the same POST /posts again");
        check("true".equals(replayed.headers().firstValue(IdempotencyHeaders.REPLAYED).orElse(null))
                && Arrays.equals(created.body(), replayed.body()),
                "the same POST /posts again was not replayed from the stored response");
        int posts = json(send(get("/posts?account_id=" + account))).size();
        check(posts == 1, "the account has " + posts + " posts after the replay, not 1");
        print("the same POST again -> 201 replayed (" + IdempotencyHeaders.REPLAYED
                + ": true); still 1 post, so no second event");
        return new Posted(postId, account, postedAt);
    }

    /** A post of the round trip: its id, its account, and when it was created ({@link System#nanoTime()}). */
    private record Posted(long id, String account, long nanoTime) {
    }

    private void steps() throws IOException, InterruptedException, SQLException {
        Posted posted = postTwice();
        long postId = posted.id();
        long postedAt = posted.nanoTime();

        List<JsonNode> receipts = awaitReceipts(postId);
        JsonNode receipt = receipts.get(0);
        String webhookId = receipt.path("webhook_id").asText();
        print("outbox relayed " + PostEvents.PUBLISHED + " " + webhookId + " as a signed webhook to "
                + server.webhookUrl().getPath() + " -> 200, " + (System.nanoTime() - postedAt) / 1_000_000 + " ms after "
                + "the post");

        check(receipts.size() == 1, receipts.size() + " receipts for post " + postId + ", not 1");
        check(receipt.path("event").path("data").path("id").asLong() == postId
                && PostEvents.PUBLISHED.equals(receipt.path("type").asText()),
                "the receipt is not the post.published event of post " + postId + ": " + receipt);
        print("receiver verified webhook " + webhookId + " and recorded it once (GET "
                + PublishingApiServer.RECEIVED_PATH + "?post_id=" + postId + ": 1 receipt)");

        byte[] payload = new ReceivedEventRepository(server.dataSource(), server.databaseFlavour()).findByPostId(postId).get(0).payload()
                .getBytes(StandardCharsets.UTF_8);
        WebhookSigner signer = WebhookSigner.create(server.webhookSecret());
        SignedWebhook again = signer.sign(webhookId, payload);
        HttpResponse<byte[]> duplicate = send(webhookRequest(again.headers(), payload));
        expectStatus(duplicate, WebhookReceiverFilter.DUPLICATE_STATUS, "the redelivery of " + webhookId);
        check("true".equals(duplicate.headers().firstValue(WebhookReceiverFilter.DUPLICATE_HEADER).orElse(null)),
                "the redelivery was not marked " + WebhookReceiverFilter.DUPLICATE_HEADER);
        int afterRedelivery = receipts(postId).size();
        check(afterRedelivery == 1, afterRedelivery + " receipts after the redelivery, not 1");
        print("redelivery of " + webhookId + " (same webhook-id and body, signed again as a retry is) -> "
                + duplicate.statusCode() + " duplicate (" + WebhookReceiverFilter.DUPLICATE_HEADER
                + ": true); still 1 receipt");

        String forgedId = PostEvents.ID_PREFIX + UUID.randomUUID().toString().replace("-", "");
        SignedWebhook genuine = signer.sign(forgedId, payload);
        SignedWebhook forged = new SignedWebhook(forgedId, genuine.timestamp(), tamper(genuine.signature()));
        HttpResponse<byte[]> refused = send(webhookRequest(forged.headers(), payload));
        expectStatus(refused, 401, "the webhook with a tampered signature");
        String problem = json(refused).path("type").asText();
        int afterForgery = receipts(postId).size();
        check(afterForgery == 1, afterForgery + " receipts after the tampered webhook, not 1");
        print("tampered signature (webhook " + forgedId + ") -> 401 " + problem.substring(problem.lastIndexOf(':') + 1)
                + "; nothing recorded");
    }

    /** Steps 3 to 5 with {@code --broker}; returns what the broker did with the republication. */
    private EventBroker.Republication brokerSteps(EventBroker broker) throws Exception {
        Posted posted = postTwice();
        String brokerName = broker.uri().kind().displayName();

        List<JsonNode> receipts = awaitReceipts(posted.id());
        JsonNode receipt = receipts.get(0);
        String messageId = receipt.path("webhook_id").asText();
        print("outbox relayed " + PostEvents.PUBLISHED + " " + messageId + " to " + brokerName + " ("
                + broker.destination() + "); the inbox consumer recorded it " + (System.nanoTime() - posted.nanoTime())
                / 1_000_000 + " ms after the post");

        check(receipts.size() == 1, receipts.size() + " receipts for post " + posted.id() + ", not 1");
        check(receipt.path("event").path("data").path("id").asLong() == posted.id()
                && PostEvents.PUBLISHED.equals(receipt.path("type").asText()),
                "the receipt is not the post.published event of post " + posted.id() + ": " + receipt);
        print("consumer applied " + messageId + " once, in the inbox's transaction, and acknowledged it after the "
                + "commit (GET " + PublishingApiServer.RECEIVED_PATH + "?post_id=" + posted.id() + ": 1 receipt)");

        // The message as the relay published it: same id, destination, key and bytes (the receipt keeps them as
        // they arrived).
        byte[] payload = new ReceivedEventRepository(server.dataSource(), server.databaseFlavour()).findByPostId(posted.id())
                .get(0).payload().getBytes(StandardCharsets.UTF_8);
        OutboxMessage again = new OutboxMessage(messageId, broker.destination(), posted.account(), payload, List.of(),
                Instant.now());
        long duplicatesBefore = duplicates();
        EventBroker.Republication republication = broker.republish(again);
        String what;
        if (republication == EventBroker.Republication.DELIVERED) {
            long duplicatesAfter = awaitDuplicates(duplicatesBefore + 1);
            what = "delivered again; the inbox recognised it as a duplicate and did not run the handler ("
                    + DUPLICATES_METRIC + "} " + duplicatesBefore + " -> " + duplicatesAfter + ")";
        } else {
            what = "dropped by JetStream as a duplicate (" + JetStreamPublisher.MESSAGE_ID_HEADER + " within the "
                    + "stream's duplicate window), never delivered";
        }
        int afterRepublication = receipts(posted.id()).size();
        check(afterRepublication == 1, afterRepublication + " receipts after the republication, not 1");
        print("republication of " + messageId + " (same id, as a relay publishes again after dying before it "
                + "marked the message) -> " + what + "; still 1 receipt");
        return republication;
    }

    /** The inbox's duplicates so far, from {@code GET /metrics} (0 before the first). */
    private long duplicates() throws IOException, InterruptedException {
        HttpResponse<byte[]> metrics = send(get(PublishingApiServer.METRICS_PATH));
        expectStatus(metrics, 200, "GET " + PublishingApiServer.METRICS_PATH);
        return new String(metrics.body(), StandardCharsets.UTF_8).lines()
                .filter(line -> line.startsWith(DUPLICATES_METRIC))
                .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    /** Polls {@code GET /metrics} until the inbox counted {@code expected} duplicates, at most the delivery timeout. */
    private long awaitDuplicates(long expected) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + DELIVERY_TIMEOUT.toNanos();
        while (true) {
            long count = duplicates();
            if (count >= expected) {
                return count;
            }
            if (System.nanoTime() > deadline) {
                throw new StepFailed("the inbox recognised no duplicate within " + DELIVERY_TIMEOUT.toSeconds()
                        + " s of the republication (" + count + " duplicates, expected " + expected + ")");
            }
            Thread.sleep(POLL_INTERVAL.toMillis());
        }
    }

    /** Polls the receiver's list until it shows a receipt for {@code postId}, at most the delivery timeout. */
    private List<JsonNode> awaitReceipts(long postId) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + DELIVERY_TIMEOUT.toNanos();
        while (true) {
            List<JsonNode> receipts = receipts(postId);
            if (!receipts.isEmpty()) {
                return receipts;
            }
            if (System.nanoTime() > deadline) {
                throw new StepFailed("the receiver recorded no " + PostEvents.PUBLISHED + " event for post " + postId
                        + " within " + DELIVERY_TIMEOUT.toSeconds() + " s");
            }
            Thread.sleep(POLL_INTERVAL.toMillis());
        }
    }

    private List<JsonNode> receipts(long postId) throws IOException, InterruptedException {
        HttpResponse<byte[]> list = send(get(PublishingApiServer.RECEIVED_PATH + "?post_id=" + postId));
        expectStatus(list, 200, "GET " + PublishingApiServer.RECEIVED_PATH);
        List<JsonNode> receipts = new ArrayList<>();
        json(list).forEach(receipts::add);
        return receipts;
    }

    /** The signature with its first base64 character changed: well formed, and matching nothing. */
    private static String tamper(String signature) {
        int first = signature.indexOf(',') + 1;
        char replaced = signature.charAt(first) == 'A' ? 'B' : 'A';
        return signature.substring(0, first) + replaced + signature.substring(first + 1);
    }

    private HttpRequest postRequest(String key, String body) {
        return HttpRequest.newBuilder(uri("/posts")).timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .header(PublishingApiServer.CLIENT_HEADER, CLIENT)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    private HttpRequest webhookRequest(List<Header> signature, byte[] body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(PublishingApiServer.WEBHOOK_PATH))
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        signature.forEach(header -> request.header(header.name(), header.value()));
        return request.build();
    }

    private HttpRequest get(String pathAndQuery) {
        return HttpRequest.newBuilder(uri(pathAndQuery)).timeout(REQUEST_TIMEOUT).GET().build();
    }

    private URI uri(String pathAndQuery) {
        return server.localUri().resolve(pathAndQuery);
    }

    private HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException {
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private JsonNode json(HttpResponse<byte[]> response) {
        try {
            return json.readTree(response.body());
        } catch (IOException e) {
            throw new StepFailed(response.request().method() + " " + response.uri().getPath() + " answered "
                    + "something that is not JSON: " + text(response));
        }
    }

    private void print(String line) {
        out.println(++step + ". " + line);
        out.flush();
    }

    private void expectStatus(HttpResponse<byte[]> response, int status, String what) {
        if (response.statusCode() != status) {
            throw new StepFailed(what + " answered " + response.statusCode() + ", not " + status + ": "
                    + text(response));
        }
    }

    private void check(boolean holds, String otherwise) {
        if (!holds) {
            throw new StepFailed(otherwise);
        }
    }

    private static String text(HttpResponse<byte[]> response) {
        String body = new String(response.body(), StandardCharsets.UTF_8);
        return body.length() > 500 ? body.substring(0, 500) + "..." : body;
    }

    /** Where the data lives, without the JDBC URL (it may carry a password). */
    private static String database(Options options, Path temporary) {
        if (options.jdbcUrl().isPresent()) {
            return "on the database of --jdbc-url";
        }
        return temporary != null ? "on a temporary embedded database" : "on the embedded database in "
                + options.dataDir();
    }

    private static void deleteRecursively(Path dir, PrintStream err) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            err.println(PublishingApiServer.PROGRAM + ": could not delete the temporary database " + dir + ": " + e);
        }
    }

    /** A step that did not hold; its message says which and why. */
    private static final class StepFailed extends RuntimeException {

        private static final long serialVersionUID = 1L;

        StepFailed(String message) {
            super(message, null, false, false);
        }
    }
}
