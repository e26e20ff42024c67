package dev.idempotency.examples.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idempotency.client.IdempotentCallException;
import dev.idempotency.client.IdempotentHttpClient;
import dev.idempotency.client.IdempotentResponse;
import dev.idempotency.client.RetryPolicy;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logical calls ({@code POST /posts}, one post each) from concurrent client threads to the demo, through a
 * {@link ChaosProxy} or straight, and the ledger they leave: every call's post counted in the demo's own
 * database afterwards ({@code GET /posts?account_id=...}, asked of the demo directly).
 *
 * <p>The {@linkplain Client#IDEMPOTENT idempotent} client is {@link IdempotentHttpClient}: one key per call,
 * reused on every attempt. The {@linkplain Client#NAIVE naive} one retries the same way but with a new key on
 * every attempt, the commonest mistake; through a proxy that loses answers it duplicates, which shows that
 * the ledger can tell the two apart.
 */
public final class ClientExperiment {

    /** Which client makes the calls. */
    public enum Client {
        /** {@link IdempotentHttpClient}: one key per logical call. */
        IDEMPOTENT,
        /** The same retries with a new key per attempt. */
        NAIVE
    }

    /**
     * What the calls left behind.
     *
     * @param calls logical calls made
     * @param answered calls that ended with a 201
     * @param unanswered calls that ended without one (attempts or deadline ran out)
     * @param effects posts the demo holds for this run
     * @param lost answered calls without a post
     * @param duplicated posts beyond the first of a call
     * @param attempts HTTP attempts made in all
     * @param replays final answers the demo replayed ({@code Idempotent-Replayed: true})
     * @param fates what the proxy did to the attempts, when there was one
     */
    public record Ledger(int calls, long answered, long unanswered, long effects, long lost, long duplicated,
            long attempts, long replays, Map<ChaosProxy.Fate, Long> fates) {

        /** Whether every answered call took effect exactly once, and no call took effect twice. */
        public boolean exactlyOnce() {
            return lost == 0 && duplicated == 0;
        }

        /** One line, as the fault tests print their ledgers. */
        public String line(Client client, boolean chaos) {
            return "LEDGER client " + (client == Client.IDEMPOTENT ? "(one key per call)" : "(naive: new key per attempt)")
                    + (chaos ? " through a chaos proxy" : "") + ": calls=" + calls + " effects=" + effects
                    + " lost=" + lost + " duplicated=" + duplicated + " | answered=" + answered + " unanswered="
                    + unanswered + " attempts=" + attempts + " replays=" + replays
                    + (fates.isEmpty() ? "" : " proxy=" + fates);
        }
    }

    private final URI demo;
    private final String apiKey;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * @param demo the demo's base address, as in {@code http://127.0.0.1:8080}
     * @param apiKey the {@code X-Api-Key} the calls identify themselves with
     */
    public ClientExperiment(URI demo, String apiKey) {
        this.demo = demo;
        this.apiKey = apiKey;
    }

    /**
     * Makes {@code calls} logical calls from {@code threads} threads with {@code client}, through a chaos proxy
     * with {@link ChaosProxy#CHAOS}'s odds when {@code chaos}, and counts what they left.
     */
    public Ledger run(Client client, int calls, int threads, boolean chaos, long seed)
            throws IOException, InterruptedException {
        String account = "client-run-" + UUID.randomUUID().toString().substring(0, 8);
        AtomicLong attempts = new AtomicLong();
        AtomicLong replays = new AtomicLong();
        AtomicLong answered = new AtomicLong();
        boolean[] told201 = new boolean[calls];
        try (ChaosProxy proxy = chaos ? new ChaosProxy(demo, ChaosProxy.CHAOS, seed) : null) {
            URI target = proxy == null ? demo : proxy.uri();
            Caller caller = client == Client.IDEMPOTENT ? idempotent() : naive();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int i = 0; i < calls; i++) {
                    HttpRequest request = post(target, account, "call-" + i);
                    int call = i;
                    done.add(pool.submit(() -> {
                        Outcome outcome = caller.call(request);
                        attempts.addAndGet(outcome.attempts());
                        if (outcome.status() == 201) {
                            answered.incrementAndGet();
                            synchronized (told201) {
                                told201[call] = true;
                            }
                        }
                        if (outcome.replayed()) {
                            replays.incrementAndGet();
                        }
                        return null;
                    }));
                }
                for (Future<?> future : done) {
                    future.get();
                }
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("A call failed in a way the experiment did not expect", e.getCause());
            } finally {
                pool.shutdownNow();
            }
            Map<String, Integer> effects = effectsOf(account);
            long lost = 0;
            long duplicated = 0;
            long total = 0;
            // A call told 201 whose post is missing is lost; a call that never got an answer and left no post is
            // unanswered, not lost (its caller knows it must try again later with its key).
            synchronized (told201) {
                for (int i = 0; i < calls; i++) {
                    int count = effects.getOrDefault("call-" + i, 0);
                    total += count;
                    duplicated += Math.max(0, count - 1);
                    lost += told201[i] && count == 0 ? 1 : 0;
                }
            }
            return new Ledger(calls, answered.get(), calls - answered.get(), total, lost, duplicated, attempts.get(),
                    replays.get(), proxy == null ? Map.of() : proxy.counts());
        }
    }

    private HttpRequest post(URI target, String account, String content) {
        ObjectNode body = json.createObjectNode().put("account_id", account).put("content", content);
        return HttpRequest.newBuilder(target.resolve("/posts")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").header("X-Api-Key", apiKey)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
    }

    /** The posts of {@code account} by content, asked of the demo itself. */
    private Map<String, Integer> effectsOf(String account) throws IOException, InterruptedException {
        HttpResponse<String> list = http.send(HttpRequest.newBuilder(demo.resolve("/posts?account_id="
                + URLEncoder.encode(account, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (list.statusCode() != 200) {
            throw new IOException("Listing the run's posts answered " + list.statusCode() + ": " + list.body());
        }
        Map<String, Integer> counts = new HashMap<>();
        for (JsonNode post : json.readTree(list.body())) {
            counts.merge(post.get("content").asText(), 1, Integer::sum);
        }
        return counts;
    }

    /** One logical call's end. */
    private record Outcome(int status, int attempts, boolean replayed) {
    }

    @FunctionalInterface
    private interface Caller {
        Outcome call(HttpRequest request) throws InterruptedException;
    }

    /** Generous enough that no call runs out of attempts at the proxy's odds (0.35 per attempt fails). */
    private static final RetryPolicy POLICY = RetryPolicy.custom().maxAttempts(20).deadline(Duration.ofMinutes(2))
            .backoff(Duration.ofMillis(20), Duration.ofMillis(500)).build();

    private Caller idempotent() {
        IdempotentHttpClient client = IdempotentHttpClient.builder(http).retryPolicy(POLICY).build();
        return request -> {
            try {
                IdempotentResponse<Void> answer = client.send(request, HttpResponse.BodyHandlers.discarding());
                return new Outcome(answer.statusCode(), answer.attempts(), answer.replayed());
            } catch (IdempotentCallException e) {
                return new Outcome(0, e.attempts(), false);
            }
        };
    }

    /**
     * The naive client: the same policy, but each attempt a new call of {@link IdempotentHttpClient} with one
     * attempt and its own key, retried by hand on the same conditions.
     */
    private Caller naive() {
        IdempotentHttpClient once = IdempotentHttpClient.builder(http)
                .retryPolicy(RetryPolicy.from(POLICY).maxAttempts(1).build()).build();
        return request -> {
            for (int attempt = 1; attempt <= POLICY.maxAttempts(); attempt++) {
                try {
                    IdempotentResponse<Void> answer = once.send(request, HttpResponse.BodyHandlers.discarding());
                    if (!POLICY.retryableStatuses().contains(answer.statusCode())) {
                        return new Outcome(answer.statusCode(), attempt, answer.replayed());
                    }
                } catch (IdempotentCallException e) {
                    // No answer: try again, with a new key (the mistake this client shows).
                }
                Thread.sleep(20);
            }
            return new Outcome(0, POLICY.maxAttempts(), false);
        };
    }
}
