package dev.idempotency.benchmarks;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A stream of {@code POST} requests that the load generator's clients send in a closed loop, and the answers
 * it accepts. Every body is the demo's {@code POST /posts} body ({@code {"account_id": ..., "content": ...}},
 * about 120 bytes) unless the scenario is given a {@link Body} of its own, as the Spring Boot example's
 * {@code POST /orders} is.
 */
abstract class Scenario {

    /** The one client (API key, hence scope) every request comes from. */
    static final String CLIENT = "bench-client";

    /** How a response was classified. */
    enum Outcome {
        /** 201 from the handler. */
        CREATED,
        /** 201 replayed from the store ({@code Idempotent-Replayed: true}). */
        REPLAYED,
        /** 409: the key was in progress. */
        CONFLICT,
        /** Anything else: the run fails. */
        UNEXPECTED
    }

    /** One request to send. */
    record Request(String path, String key, byte[] body) {
    }

    /** The body of a scenario's {@code sequence}-th request from client {@code client}. */
    @FunctionalInterface
    interface Body {
        byte[] of(String scenario, int client, long sequence);
    }

    /** The demo's {@code POST /posts} body. */
    static final Body POST = Scenario::newPostBody;

    private final String name;
    private final Set<Outcome> accepted;

    Scenario(String name, Set<Outcome> accepted) {
        this.name = Objects.requireNonNull(name, "name");
        this.accepted = accepted;
    }

    String name() {
        return name;
    }

    /** The next request of client {@code client}, whose {@code sequence}-th request this is. */
    abstract Request next(int client, long sequence);

    /** The outcome of {@code response}, {@link Outcome#UNEXPECTED} unless this scenario accepts it. */
    Outcome classify(HttpConnection.Response response) {
        Outcome outcome = switch (response.status()) {
            case 201 -> response.replayed() ? Outcome.REPLAYED : Outcome.CREATED;
            case 409 -> Outcome.CONFLICT;
            default -> Outcome.UNEXPECTED;
        };
        return accepted.contains(outcome) ? outcome : Outcome.UNEXPECTED;
    }

    @Override
    public String toString() {
        return name;
    }

    /** The body of a new post. */
    static byte[] body(String accountId, String content) {
        return ("{\"account_id\":\"" + accountId + "\",\"content\":\"" + content + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    static byte[] newPostBody(String scenario, int client, long sequence) {
        return body("acct-" + client, scenario + " post " + sequence + " from client " + client
                + ": exactly once, whatever the network does.");
    }

    /** A key as clients make them: a random UUID. */
    static String randomKey() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return new UUID(random.nextLong(), random.nextLong()).toString();
    }

    /** Requests without a key to a path the filter does not cover. */
    static Scenario withoutKeys(String name, String path) {
        return new Scenario(name, EnumSet.of(Outcome.CREATED)) {
            @Override
            Request next(int client, long sequence) {
                return new Request(path, null, newPostBody(name, client, sequence));
            }
        };
    }

    /** Every request a new random key. */
    static Scenario newKeys(String name, String path) {
        return newKeys(name, path, POST);
    }

    /** Every request a new random key and a body made by {@code body}. */
    static Scenario newKeys(String name, String path, Body body) {
        return new Scenario(name, EnumSet.of(Outcome.CREATED)) {
            @Override
            Request next(int client, long sequence) {
                return new Request(path, randomKey(), body.of(name, client, sequence));
            }
        };
    }

    /** Every request a retry of one of {@code completed}, picked at random; each must be replayed. */
    static Scenario replays(String name, List<Request> completed) {
        List<Request> keys = List.copyOf(completed);
        return new Scenario(name, EnumSet.of(Outcome.REPLAYED)) {
            @Override
            Request next(int client, long sequence) {
                return keys.get(ThreadLocalRandom.current().nextInt(keys.size()));
            }
        };
    }

    /**
     * A duplicate storm: the clients are split into groups of {@code clientsPerKey}; each group sends one key
     * {@code requestsPerKey} times between them, all at once, then moves to the next key. The first request
     * of a key runs the handler; the others are answered 409 while it runs, and replayed after.
     */
    static Storm storm(String name, String path, String runId, int clientsPerKey, int requestsPerKey, int clients) {
        return new Storm(name, path, runId, clientsPerKey, requestsPerKey, clients);
    }

    /** {@link #storm}, which remembers every key it sent, for the ledger of effects. */
    static final class Storm extends Scenario {
        private final String path;
        private final String runId;
        private final int clientsPerKey;
        private final int requestsPerKey;
        private final AtomicLongArray sent;
        private final Set<String> keys = ConcurrentHashMap.newKeySet();

        private Storm(String name, String path, String runId, int clientsPerKey, int requestsPerKey, int clients) {
            super(name, EnumSet.of(Outcome.CREATED, Outcome.REPLAYED, Outcome.CONFLICT));
            this.path = path;
            this.runId = runId;
            this.clientsPerKey = clientsPerKey;
            this.requestsPerKey = requestsPerKey;
            this.sent = new AtomicLongArray((clients + clientsPerKey - 1) / clientsPerKey);
        }

        @Override
        Request next(int client, long sequence) {
            int group = client / clientsPerKey;
            long n = sent.getAndIncrement(group) / requestsPerKey;
            String key = "storm-" + runId + "-" + group + "-" + n;
            keys.add(key);
            // The content names the key: the ledger counts the posts each key produced.
            return new Request(path, key, body("storm", key));
        }

        /** Every key sent so far. */
        Set<String> keys() {
            return keys;
        }
    }
}
