package dev.idempotency.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongPredicate;

/**
 * A payment service over real HTTP, in the test's JVM, that deduplicates by the {@code Idempotency-Key} it
 * is sent, as payment APIs do: {@code POST /charges} with a new key charges (201), with a known key answers
 * the same charge again (200) and charges nothing. What it counts is the external effect the demo must make
 * exactly once: distinct charges, per account.
 */
final class FakePaymentService implements AutoCloseable {

    /** One charge: made once per idempotency key. */
    record Charge(String id, String accountId, long amount) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Map<String, Charge> chargesByKey = new ConcurrentHashMap<>();
    private final List<String> keysReceived = new CopyOnWriteArrayList<>();
    private final AtomicInteger nextId = new AtomicInteger();
    private volatile boolean failing;
    private volatile LongPredicate slowAmounts = amount -> false;
    private volatile long slowMillis;

    FakePaymentService() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/charges", this::charge);
        server.setExecutor(executor);
        server.start();
    }

    /** The base URL to give the demo as {@code --payments-url}. */
    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** While {@code true}, every call is answered 500 and charges nothing. */
    void failing(boolean failing) {
        this.failing = failing;
    }

    /**
     * Charges of an amount that {@code amounts} accepts are made at once but answered only after
     * {@code millis}: a crash meanwhile leaves a charge the demo never heard of.
     */
    void answerSlowly(LongPredicate amounts, long millis) {
        this.slowMillis = millis;
        this.slowAmounts = amounts;
    }

    /** Distinct charges made: the external effect. */
    int charges() {
        return chargesByKey.size();
    }

    /** Distinct charges made for {@code accountId}. */
    long chargesFor(String accountId) {
        return chargesByKey.values().stream().filter(c -> c.accountId().equals(accountId)).count();
    }

    /** The charge made for {@code accountId}, if exactly one was. */
    Charge onlyChargeFor(String accountId) {
        List<Charge> charges = chargesByKey.values().stream().filter(c -> c.accountId().equals(accountId)).toList();
        if (charges.size() != 1) {
            throw new AssertionError(charges.size() + " charges for " + accountId + ": " + charges);
        }
        return charges.get(0);
    }

    /** Calls received, repeated keys included. */
    int calls() {
        return keysReceived.size();
    }

    /** The idempotency keys received, in order, repeats included. */
    List<String> keysReceived() {
        return List.copyOf(keysReceived);
    }

    private void charge(HttpExchange exchange) throws IOException {
        try (exchange) {
            String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
            JsonNode body = JSON.readTree(exchange.getRequestBody());
            if (!"POST".equals(exchange.getRequestMethod()) || key == null || key.isBlank()
                    || !body.path("account_id").isTextual() || !body.path("amount").canConvertToLong()) {
                respond(exchange, 400, "{\"error\":\"POST a JSON charge with an Idempotency-Key\"}");
                return;
            }
            if (failing) {
                respond(exchange, 500, "{\"error\":\"failing on purpose\"}");
                return;
            }
            keysReceived.add(key);
            long amount = body.get("amount").asLong();
            boolean[] created = new boolean[1];
            Charge charge = chargesByKey.computeIfAbsent(key, k -> {
                created[0] = true;
                return new Charge("ch_" + nextId.incrementAndGet(), body.get("account_id").asText(), amount);
            });
            if (slowAmounts.test(amount)) {
                Thread.sleep(slowMillis);
            }
            respond(exchange, created[0] ? 201 : 200, JSON.createObjectNode().put("id", charge.id())
                    .put("account_id", charge.accountId()).put("amount", charge.amount()).toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void respond(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
