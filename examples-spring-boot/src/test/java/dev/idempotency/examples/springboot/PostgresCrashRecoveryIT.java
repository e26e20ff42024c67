package dev.idempotency.examples.springboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.idempotency.testing.FaultSettings;
import dev.idempotency.testing.PostgresDatabaseExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The example as it runs in production, killed mid-request: its executable jar runs as a separate JVM on
 * PostgreSQL, many keys are sent as concurrent duplicates, some of them held inside their request after the
 * {@code @Transactional} service saved the order (the {@value FaultInjection#PROFILE} profile's
 * {@value FaultInjection#HOLD_HEADER}), and the JVM is killed with SIGKILL ({@link Process#destroyForcibly()} on
 * Linux; the exit status 137 = 128 + 9 proves it) while they are. It is started again on the same database, and
 * every key without an answer is retried, with duplicates, until it has one.
 *
 * <p>Pass condition, printed as a ledger: one order per key (the order's {@code idempotency_key} column says whose
 * it is; it is not unique, so only the library keeps it to one), no answer other than 201 or 409, every 201 of a
 * key the same bytes and naming the order that exists, every key replayed at the end, and no key left in
 * progress.
 *
 * <p>{@code -Dfault.duration=10m} repeats the crash cycle until that much time has passed (at least once). Runs in
 * the {@code integration-test} phase, after {@code package} built the jar.
 */
class PostgresCrashRecoveryIT {

    private static final int KEYS_PER_CYCLE = 40;
    /** Every fifth key is held inside its request when the process is killed. */
    private static final int HELD_EVERY = 5;
    private static final int COPIES = 4;
    private static final int COPIES_AFTER_RESTART = 2;
    /** Longer than anything the test waits for: the held requests are still inside when the process dies. */
    private static final String HOLD_MILLIS = "120000";
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final String CLIENT = "ledger-client";
    private static final Pattern ID = Pattern.compile("\"id\":(\\d+)[,}]");

    @RegisterExtension
    final PostgresDatabaseExtension db = PostgresDatabaseExtension.create();

    @RegisterExtension
    final ExampleJar example = new ExampleJar();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** One logical action: a key and its order, sent until answered. */
    private static final class Action {
        final String key = UUID.randomUUID().toString();
        final String item;
        final boolean held;
        final List<String> createdBodies = new ArrayList<>();

        Action(int number, boolean held) {
            this.item = "item-" + number;
            this.held = held;
        }

        synchronized void created(String body) {
            createdBodies.add(body);
        }

        synchronized boolean answered() {
            return !createdBodies.isEmpty();
        }

        synchronized String firstAnswer() {
            return createdBodies.get(0);
        }
    }

    private List<String> arguments() {
        List<String> arguments = new ArrayList<>(List.of("--server.port=0", "--spring.main.banner-mode=off",
                "--spring.profiles.active=" + FaultInjection.PROFILE,
                "--spring.datasource.url=" + db.jdbcUrl(),
                // The held requests keep their connections; the others need some too.
                "--spring.datasource.hikari.maximum-pool-size=" + (KEYS_PER_CYCLE / HELD_EVERY + 8)));
        if (db.user() != null) {
            arguments.add("--spring.datasource.username=" + db.user());
        }
        if (db.password() != null) {
            arguments.add("--spring.datasource.password=" + db.password());
        }
        return arguments;
    }

    @Test
    void everyKeyTakesEffectOnceThroughConcurrentDuplicatesAndASigkillMidRequest() throws Exception {
        Duration runFor = FaultSettings.duration(Duration.ZERO);
        long until = System.nanoTime() + runFor.toNanos();
        Ledger ledger = new Ledger("crash mid-request (SIGKILL) with concurrent duplicates, restart, retry | "
                + "PostgreSQL | Spring Boot starter, transaction mode, POST /orders: effect = rows in orders");
        List<Action> actions = new ArrayList<>();
        ExampleJar.Started app = example.start(arguments());
        long cycles = 0;
        do {
            cycles++;
            app = crashCycle(app, actions, ledger);
        } while (System.nanoTime() < until);

        for (Action action : actions) {
            HttpResponse<String> replay = send(app.base(), action, false);
            assertEquals(201, replay.statusCode(), () -> "the key of " + action.item + " is still blocked: "
                    + replay.statusCode() + " " + replay.body());
            assertEquals("true", replay.headers().firstValue("Idempotent-Replayed").orElse(null));
            record(action, replay, ledger);
        }
        example.stop(app);

        try (Connection connection = db.dataSource().getConnection()) {
            Map<String, List<long[]>> rows = orders(connection);
            for (Action action : actions) {
                ledger.action(action.key);
                List<long[]> ofKey = rows.getOrDefault(action.key, List.of());
                ledger.effects(action.key, ofKey.size());
                rows.remove(action.key);
                for (String body : action.createdBodies) {
                    if (!describes(body, action, ofKey)) {
                        ledger.wrongAnswer();
                    }
                }
            }
            rows.values().forEach(unclaimed -> ledger.unattributed(unclaimed.size()));
            ledger.note("cycles", cycles);
            ledger.printAndAssertExactlyOnce();
            assertEquals(0, inProgressRecords(connection), "no key is left in progress");
        }
    }

    /**
     * One cycle: {@value #KEYS_PER_CYCLE} keys, {@value #COPIES} concurrent copies of each, every
     * {@value #HELD_EVERY}th held inside its request; SIGKILL while they are held; a restart; retries until every
     * key has an answer.
     */
    private ExampleJar.Started crashCycle(ExampleJar.Started app, List<Action> actions, Ledger ledger)
            throws Exception {
        List<Action> cycle = new ArrayList<>();
        Map<Action, List<CompletableFuture<HttpResponse<String>>>> inFlight = new HashMap<>();
        for (int i = 0; i < KEYS_PER_CYCLE; i++) {
            Action action = new Action(actions.size() + i, i % HELD_EVERY == 0);
            cycle.add(action);
            List<CompletableFuture<HttpResponse<String>>> copies = new ArrayList<>();
            for (int copy = 0; copy < COPIES; copy++) {
                copies.add(sendAsync(app.base(), action, action.held));
            }
            inFlight.put(action, copies);
        }
        List<Action> held = cycle.stream().filter(a -> a.held).toList();

        // Every copy of a key that is not held is answered; every held key is inside its request (its order saved,
        // not committed) and its other copies were refused while it is.
        for (Action action : cycle) {
            List<CompletableFuture<HttpResponse<String>>> copies = inFlight.get(action);
            if (!action.held) {
                for (CompletableFuture<HttpResponse<String>> copy : copies) {
                    record(action, copy.get(DEADLINE.toSeconds(), TimeUnit.SECONDS), ledger);
                }
                assertTrue(action.answered(), () -> "one copy of " + action.item + " was answered 201");
            }
        }
        long outputOffset = app.outputOffset();
        awaitTrue(() -> held.stream().allMatch(a -> example.outputSince(outputOffset)
                .contains("Holding request " + a.key + " ")), () -> "every held request is inside, past its save");
        int cutOff = 0;
        for (Action action : held) {
            List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>(inFlight.get(action));
            awaitTrue(() -> pending.stream().filter(CompletableFuture::isDone).count() == COPIES - 1,
                    () -> "the copies of held " + action.item + " are refused while it runs");
            for (CompletableFuture<HttpResponse<String>> copy : pending) {
                if (copy.isDone()) {
                    HttpResponse<String> refused = copy.get();
                    record(action, refused, ledger);
                    assertEquals(409, refused.statusCode(), refused::body);
                }
            }
            HttpResponse<String> probe = send(app.base(), action, false);
            record(action, probe, ledger);
            assertEquals(409, probe.statusCode(), () -> "a duplicate of a held request is refused: " + probe.body());
            cutOff++;
        }
        try (Connection connection = db.dataSource().getConnection()) {
            for (Action action : held) {
                assertEquals(0, orders(connection).getOrDefault(action.key, List.of()).size(),
                        "the held request's order is saved but not committed");
            }
        }

        long killedAt = System.nanoTime();
        example.kill(app);
        for (Action action : held) {
            for (CompletableFuture<HttpResponse<String>> copy : inFlight.get(action)) {
                try {
                    HttpResponse<String> answered = copy.get(30, TimeUnit.SECONDS);
                    if (answered.statusCode() != 409) {
                        fail("a held request was answered before the kill: " + answered.statusCode() + " "
                                + answered.body());
                    }
                } catch (ExecutionException e) {
                    // Cut off by the kill: the client never learnt what happened, so it retries.
                } catch (TimeoutException e) {
                    fail("a held request neither answered nor cut off 30 s after the kill");
                }
            }
        }
        ledger.note("killed-inside-request", cutOff);

        ExampleJar.Started restarted = example.start(arguments());
        long restartedAt = System.nanoTime();
        ledger.note("restart-ms", TimeUnit.NANOSECONDS.toMillis(restartedAt - killedAt));
        long deadline = restartedAt + DEADLINE.toNanos();
        List<Action> unanswered = new ArrayList<>(cycle.stream().filter(a -> !a.answered()).toList());
        while (!unanswered.isEmpty()) {
            assertTrue(System.nanoTime() < deadline, () -> unanswered.size() + " keys still unanswered " + DEADLINE
                    + " after the restart:\n" + example.tail());
            Map<Action, List<CompletableFuture<HttpResponse<String>>>> retries = new HashMap<>();
            for (Action action : unanswered) {
                List<CompletableFuture<HttpResponse<String>>> copies = new ArrayList<>();
                for (int copy = 0; copy < COPIES_AFTER_RESTART; copy++) {
                    copies.add(sendAsync(restarted.base(), action, false));
                }
                retries.put(action, copies);
            }
            for (var retry : retries.entrySet()) {
                for (CompletableFuture<HttpResponse<String>> copy : retry.getValue()) {
                    record(retry.getKey(), copy.get(DEADLINE.toSeconds(), TimeUnit.SECONDS), ledger);
                }
                ledger.note("retries-after-restart", COPIES_AFTER_RESTART);
            }
            unanswered.removeIf(Action::answered);
            if (!unanswered.isEmpty()) {
                // A key whose retry was refused (409) is polled again shortly.
                Thread.sleep(100);
            }
        }
        ledger.note("all-answered-after-restart-ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedAt));
        actions.addAll(cycle);
        return restarted;
    }

    /** Keeps the answer for the ledger; a 201 is the action's answer, anything but 201 or 409 a wrong one. */
    private static void record(Action action, HttpResponse<String> response, Ledger ledger) {
        ledger.answer(response.statusCode());
        if (response.statusCode() == 201) {
            action.created(response.body());
            if (response.headers().firstValue("Idempotent-Replayed").isPresent()) {
                ledger.note("replays", 1);
            }
        } else if (response.statusCode() != 409) {
            ledger.wrongAnswer();
        }
    }

    /** Whether {@code body} is the key's first answer, and names its one order, as committed. */
    private static boolean describes(String body, Action action, List<long[]> rows) {
        Matcher id = ID.matcher(body);
        return body.equals(action.firstAnswer()) && rows.size() == 1 && id.find()
                && Long.parseLong(id.group(1)) == rows.get(0)[0] && body.contains("\"item\":\"" + action.item + "\"")
                && body.contains("\"idempotencyKey\":\"" + action.key + "\"");
    }

    private HttpRequest request(URI base, Action action, boolean hold) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("/orders"))
                .timeout(Duration.ofSeconds(180))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", action.key)
                .header("X-Api-Key", CLIENT)
                .POST(HttpRequest.BodyPublishers.ofString("{\"item\":\"" + action.item + "\"}"));
        if (hold) {
            request.header(FaultInjection.HOLD_HEADER, HOLD_MILLIS);
        }
        return request.build();
    }

    private CompletableFuture<HttpResponse<String>> sendAsync(URI base, Action action, boolean hold) {
        return http.sendAsync(request(base, action, hold), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(URI base, Action action, boolean hold) throws Exception {
        return http.send(request(base, action, hold), HttpResponse.BodyHandlers.ofString());
    }

    /** The committed orders by the key they were placed with: their ids. */
    private static Map<String, List<long[]>> orders(Connection connection) throws SQLException {
        Map<String, List<long[]>> orders = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT id, idempotency_key FROM orders");
                ResultSet row = select.executeQuery()) {
            while (row.next()) {
                orders.computeIfAbsent(row.getString(2), key -> new ArrayList<>()).add(new long[] {row.getLong(1)});
            }
        }
        return orders;
    }

    private static int inProgressRecords(Connection connection) throws SQLException {
        try (Statement select = connection.createStatement();
                ResultSet row = select.executeQuery(
                        "SELECT count(*) FROM idempotency_record WHERE response_status IS NULL")) {
            row.next();
            return row.getInt(1);
        }
    }

    private static void awaitTrue(BooleanSupplier condition, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, () -> "timed out waiting until " + what.get());
            Thread.sleep(20);
        }
    }
}
