package dev.idempotency.it.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A downstream service over real HTTP that deduplicates by the {@code Idempotency-Key} it is sent, as
 * payment APIs do: {@code POST /charges} with {@code {"item": "..."}} charges once per key (201) and answers
 * the same charge to a repeated key (200). Its distinct charges per item are the effect a lease-mode handler
 * must make exactly once.
 */
final class FakeDownstream implements AutoCloseable {

    /** One charge, made once per idempotency key. */
    record Charge(String id, String item) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Map<String, Charge> chargesByKey = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> chargesByItem = new ConcurrentHashMap<>();
    private final Map<String, String> chargeIdByItem = new ConcurrentHashMap<>();
    private final AtomicInteger calls = new AtomicInteger();
    private final Map<String, AtomicInteger> callsByItem = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger();

    FakeDownstream() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/charges", this::charge);
        server.setExecutor(executor);
        server.start();
    }

    /** Where charges are posted. */
    URI chargesUri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/charges");
    }

    /** Distinct charges made for {@code item}. */
    int chargesFor(String item) {
        AtomicInteger count = chargesByItem.get(item);
        return count == null ? 0 : count.get();
    }

    /** The id of the (last) charge made for {@code item}, or {@code null}. */
    String chargeIdFor(String item) {
        return chargeIdByItem.get(item);
    }

    /** Every item charged at least once. */
    java.util.Set<String> itemsCharged() {
        return chargesByItem.keySet();
    }

    /** Calls received, repeated keys included. */
    int calls() {
        return calls.get();
    }

    /** Calls received for {@code item}, repeated keys included. */
    int callsFor(String item) {
        AtomicInteger count = callsByItem.get(item);
        return count == null ? 0 : count.get();
    }

    private void charge(HttpExchange exchange) throws IOException {
        try (exchange) {
            String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
            JsonNode body = JSON.readTree(exchange.getRequestBody());
            if (!"POST".equals(exchange.getRequestMethod()) || key == null || !body.path("item").isTextual()) {
                respond(exchange, 400, "{\"error\":\"POST {\\\"item\\\": ...} with an Idempotency-Key\"}");
                return;
            }
            calls.incrementAndGet();
            String item = body.get("item").asText();
            callsByItem.computeIfAbsent(item, i -> new AtomicInteger()).incrementAndGet();
            boolean[] created = new boolean[1];
            Charge charge = chargesByKey.computeIfAbsent(key, k -> {
                created[0] = true;
                Charge made = new Charge("ch_" + nextId.incrementAndGet(), item);
                chargesByItem.computeIfAbsent(item, i -> new AtomicInteger()).incrementAndGet();
                chargeIdByItem.put(item, made.id());
                return made;
            });
            respond(exchange, created[0] ? 201 : 200, JSON.createObjectNode().put("id", charge.id()).toString());
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
