package dev.idempotency.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The server with {@code --broker}, in-process, against the real RabbitMQ and NATS of
 * {@value BrokerRoundTripIT#RABBITMQ_ENV} and {@value BrokerRoundTripIT#NATS_ENV} (without them the test fails,
 * saying how to set them): each post's event goes through the broker and is recorded once, a replayed post and a
 * failed one send none. On broker-side names of the test's own, deleted when the server stops.
 */
class BrokerServingTest {

    private static final Duration DEADLINE = Duration.ofSeconds(15);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {BrokerRoundTripIT.RABBITMQ_ENV, BrokerRoundTripIT.NATS_ENV})
    void eachPostIsRecordedOnceThroughTheBrokerAndAReplayedOrFailedPostSendsNothing(String env) throws Exception {
        String uri = System.getenv(env);
        assertNotNull(uri, () -> "Set " + env + " to the broker this test runs against, for example "
                + (env.equals(BrokerRoundTripIT.NATS_ENV) ? "nats://127.0.0.1:4222" : "amqp://guest:guest@127.0.0.1:5672"));
        Options options = Options.defaults().withPort(0).withDataDir(tmp.resolve("data")).withBroker(uri);
        String name = EventBroker.DEFAULT_NAME + "-test-" + UUID.randomUUID().toString().substring(0, 8);

        try (PublishingApiServer server = PublishingApiServer.start(options, ServerLimits.DEFAULTS, name, true)) {
            String account = "acct-" + UUID.randomUUID().toString().substring(0, 8);
            String body = "{\"account_id\":\"" + account + "\",\"content\":\"through the broker\"}";
            assertEquals(500, post(server, UUID.randomUUID().toString(), body, true).statusCode(), "X-Demo-Fail");
            String key = UUID.randomUUID().toString();
            HttpResponse<String> first = post(server, key, body, false);
            assertEquals(201, first.statusCode(), first.body());
            assertEquals(201, post(server, key, body, false).statusCode(), "the replay");
            long second = json.readTree(post(server, UUID.randomUUID().toString(), body, false).body()).get("id")
                    .asLong();

            // One account's events keep their order through the relay and the broker: once the second post's
            // event is recorded, the first one's has been, and a failed or replayed post's would have been.
            JsonNode receipts = awaitReceipt(server, second);
            JsonNode all = json.readTree(get(server, PublishingApiServer.RECEIVED_PATH).body());
            long ofAccount = 0;
            for (JsonNode receipt : all) {
                if (receipt.path("account_id").asText().equals(account)) {
                    ofAccount++;
                }
            }
            assertEquals(2, ofAccount, "two posts, two receipts: " + all);
            assertEquals(1, receipts.size(), receipts.toString());
            long firstId = json.readTree(first.body()).get("id").asLong();
            assertEquals(1, json.readTree(get(server, PublishingApiServer.RECEIVED_PATH + "?post_id=" + firstId)
                    .body()).size());
            assertTrue(receipts.get(0).path("webhook_id").asText().startsWith(PostEvents.ID_PREFIX), receipts.toString());
        }
    }

    private JsonNode awaitReceipt(PublishingApiServer server, long postId) throws Exception {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            JsonNode receipts = json.readTree(get(server, PublishingApiServer.RECEIVED_PATH + "?post_id=" + postId)
                    .body());
            if (!receipts.isEmpty()) {
                return receipts;
            }
            assertTrue(System.nanoTime() < deadline, "no receipt for post " + postId + " within " + DEADLINE);
            Thread.sleep(50);
        }
    }

    private HttpResponse<String> post(PublishingApiServer server, String key, String body, boolean fail)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.localUri().resolve("/posts"))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .header(PublishingApiServer.CLIENT_HEADER, "broker-test")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (fail) {
            request.header("X-Demo-Fail", "true");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(PublishingApiServer server, String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.localUri() + pathAndQuery)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
