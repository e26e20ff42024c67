package dev.idempotency.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.testing.EffectLedger;
import dev.idempotency.testing.FaultSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash in the middle of handlers, for real: the shaded jar runs as a separate JVM, requests are in
 * flight inside their handlers ({@code X-Demo-Delay-Ms}), the process is killed with SIGKILL (what
 * {@link Process#destroyForcibly()} sends on Linux; the exit status 137 = 128 + 9 proves it), restarted on
 * the same database, and the client retries every unanswered action with the same key until it gets an
 * answer. Both modes at once:
 * <ul>
 * <li>{@code POST /posts}, transaction mode: the killed requests' transactions die with their connections,
 * so their keys are free at once and the retries run; with the optimistic claim ({@link #claim()}) as with the
 * default one, except that a duplicate cannot probe that a post is inside its handler (it would run and complete
 * the key), so the test checks that none of its row is committed instead;</li>
 * <li>{@code POST /payments}, lease mode, against a {@link FakePaymentService} in this JVM that
 * deduplicates by the {@code Idempotency-Key} it receives. Half the killed payments were waiting for the
 * service's answer (charged, no row), half were past their row (charged, row written, no stored outcome).
 * Their leases ({@value #LEASE_SECONDS} s) run out, the retries take the keys over and run the handler
 * again: the derived charge key makes the service charge once, and the row, keyed by the same derived key,
 * is found rather than written twice.</li>
 * </ul>
 * Pass condition, printed as ledgers: every action has exactly one effect (one post row; one charge and one
 * payment row), every answer describes that effect, every key replays afterwards (none stays blocked), and
 * no in-progress record is left in the store.
 *
 * <p>{@code -Dfault.duration=10m} repeats the crash cycle until that much time has passed (at least once).
 * Runs in the {@code integration-test} phase, after {@code package} built the jar (see
 * {@link ExecutableJarIT}).
 */
abstract class CrashRecoveryScenarios {

    static final int LEASE_SECONDS = 2;
    /** The exit status of a JVM killed by signal 9: 128 + 9. SIGTERM would give 143. */
    static final int KILLED_BY_SIGKILL = 137;

    private static final int ANSWERED_BEFORE_THE_CRASH = 2;
    private static final int IN_FLIGHT_POSTS = 6;
    private static final int IN_FLIGHT_PAYMENTS = 6;
    /** Longer than anything the test waits for: the requests are still inside their handlers at the kill. */
    private static final String IN_HANDLER_MILLIS = "30000";
    private static final Duration RETRY_DEADLINE = Duration.ofSeconds(60);
    private static final Pattern LISTENING = Pattern.compile("Listening on (http://127\\.0\\.0\\.1:(\\d+))");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path tmp;

    @RegisterExtension
    final DemoStderr stderr = new DemoStderr();

    private final List<Process> processes = new ArrayList<>();
    private FakePaymentService paymentService;
    private URI demo;
    private Process process;

    /** The database's name, for the ledgers. */
    abstract String databaseName();

    /** The command-line options that put the demo on the database under test; the same for every start. */
    abstract List<String> databaseOptions();

    /** A connection to the database under test, opened once the demo has stopped. */
    abstract Connection openDatabase() throws SQLException;

    /** The claim of {@code POST /posts}, as {@code --claim} takes it: the default unless a subclass says otherwise. */
    String claim() {
        return "pessimistic";
    }

    /** A kind of action: the endpoint, its mode, and how to build its body. */
    private enum Kind { POST, PAYMENT }

    /** One logical action: one idempotency key, one body, retried until answered. */
    private static final class Action {
        final Kind kind;
        final String key = UUID.randomUUID().toString();
        final String account;
        final long amount;
        HttpResponse<byte[]> answer;

        Action(Kind kind, long amount) {
            this.kind = kind;
            this.account = "crash-" + kind.name().toLowerCase(java.util.Locale.ROOT) + "-" + UUID.randomUUID();
            this.amount = amount;
        }

        String body() {
            return kind == Kind.POST
                    ? JSON.createObjectNode().put("account_id", account).put("content", "survives a crash").toString()
                    : JSON.createObjectNode().put("account_id", account).put("amount", amount).toString();
        }

        String path() {
            return kind == Kind.POST ? "/posts" : "/payments";
        }
    }

    @BeforeEach
    void startPaymentService() throws IOException {
        paymentService = new FakePaymentService();
    }

    @AfterEach
    void stopEverything() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        paymentService.close();
    }

    @Test
    void everyActionTakesEffectOnceAfterSigkillMidHandlerInTransactionAndLeaseMode() throws Exception {
        Duration runFor = FaultSettings.duration(Duration.ZERO);
        long until = System.nanoTime() + runFor.toNanos();
        List<Action> actions = new ArrayList<>();
        Map<Kind, Map<String, Long>> notes = new java.util.EnumMap<>(Kind.class);
        for (Kind kind : Kind.values()) {
            notes.put(kind, new LinkedHashMap<>());
        }
        start();
        long cycles = 0;
        do {
            cycles++;
            crashCycle(actions, notes);
        } while (System.nanoTime() < until);

        for (Action action : actions) {
            HttpResponse<byte[]> replay = send(action, null);
            assertEquals(201, replay.statusCode(), () -> "the key of " + action.account + " is still blocked: "
                    + replay.statusCode() + " " + text(replay));
            assertEquals("true", replay.headers().firstValue("Idempotent-Replayed").orElse(null));
            assertArrayEquals(action.answer.body(), replay.body(), "the replay is the answer the client got");
        }
        process.destroy();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the demo stops on SIGTERM");

        String fault = "crash mid-handler (SIGKILL), restart, retry | " + databaseName();
        EffectLedger posts = new EffectLedger(fault + " | transaction mode" + ("optimistic".equals(claim())
                ? ", optimistic claim" : "") + ", POST /posts: effect = rows in posts");
        EffectLedger charges = new EffectLedger(fault
                + " | lease mode, POST /payments: effect = charges at the downstream service");
        EffectLedger paymentRows = new EffectLedger(fault + " | lease mode, POST /payments: effect = rows in payments");
        try (Connection db = openDatabase()) {
            for (Action action : actions) {
                if (action.kind == Kind.POST) {
                    posts.action(action.account);
                    posts.answer(action.answer.statusCode());
                    posts.effects(action.account, count(db, "posts", action.account));
                } else {
                    charges.action(action.account);
                    charges.answer(action.answer.statusCode());
                    charges.effects(action.account, (int) paymentService.chargesFor(action.account));
                    paymentRows.action(action.account);
                    paymentRows.answer(action.answer.statusCode());
                    paymentRows.effects(action.account, count(db, "payments", action.account));
                }
            }
            posts.note("crash-cycles", cycles);
            notes.get(Kind.POST).forEach(posts::note);
            notes.get(Kind.PAYMENT).forEach(charges::note);
            charges.note("downstream-calls", paymentService.calls());
            posts.printAndAssertExactlyOnce();
            charges.printAndAssertExactlyOnce();
            paymentRows.printAndAssertExactlyOnce();
            assertEquals(0, inProgressRecords(db), "no key is left in progress");
            for (Action action : actions) {
                assertAnswerDescribesTheEffect(db, action);
            }
        }
    }

    /**
     * Some actions answered, more in flight inside their handlers, SIGKILL, restart, retries until every
     * action has an answer.
     */
    private void crashCycle(List<Action> actions, Map<Kind, Map<String, Long>> notes) throws Exception {
        for (int i = 0; i < ANSWERED_BEFORE_THE_CRASH; i++) {
            for (Kind kind : Kind.values()) {
                Action action = new Action(kind, 100 + 2 * i);
                action.answer = send(action, null);
                assertEquals(201, action.answer.statusCode(), () -> text(action.answer));
                actions.add(action);
            }
        }

        // Odd amounts: the service charges at once but holds its answer, so the crash finds the handler waiting
        // for it (charged, no row). Even amounts: answered at once, the row written, then the demo delay (charged,
        // row written, outcome not stored).
        paymentService.answerSlowly(amount -> amount % 2 == 1, Long.parseLong(IN_HANDLER_MILLIS));
        int callsBefore = paymentService.calls();
        List<Action> inFlight = new ArrayList<>();
        List<CompletableFuture<HttpResponse<byte[]>>> futures = new ArrayList<>();
        for (int i = 0; i < Math.max(IN_FLIGHT_POSTS, IN_FLIGHT_PAYMENTS); i++) {
            if (i < IN_FLIGHT_POSTS) {
                inFlight.add(new Action(Kind.POST, 0));
            }
            if (i < IN_FLIGHT_PAYMENTS) {
                inFlight.add(new Action(Kind.PAYMENT, 1000 + i));
            }
        }
        for (Action action : inFlight) {
            futures.add(HTTP.sendAsync(request(action, IN_HANDLER_MILLIS), HttpResponse.BodyHandlers.ofByteArray()));
        }
        awaitTrue(() -> paymentService.calls() >= callsBefore + IN_FLIGHT_PAYMENTS, "every payment reached the service");
        for (Action action : inFlight) {
            if (action.kind == Kind.PAYMENT && action.amount % 2 == 0) {
                awaitTrue(() -> paymentRows(action) == 1, "the row of a payment past its charge was written");
            }
        }
        // The posts went out first; their claims are uncommitted and invisible from here, so give the last of
        // them a moment to reach its handler before the duplicates below test that each one is inside it.
        Thread.sleep(500);
        for (Action action : inFlight) {
            if (action.kind == Kind.POST && "optimistic".equals(claim())) {
                // An optimistic request claims nothing before its handler: a duplicate sent now would run and
                // commit, completing the key before the kill. From outside, what shows is that nothing of it is
                // committed yet.
                assertEquals(0, listed("/posts", action), "a post inside its handler has no committed row");
                continue;
            }
            HttpResponse<byte[]> probe = send(action, null);
            assertEquals(409, probe.statusCode(), () -> "a duplicate of an action inside its handler is refused: "
                    + text(probe));
            if (action.kind == Kind.PAYMENT && action.amount % 2 == 1) {
                assertEquals(0, paymentRows(action), "the payment still waiting for the service has no row yet");
            }
        }

        // One more action answered just before the kill: what a client was told must survive it. (An embedded
        // database that delays writing its commits, as H2 does by default, would lose it.)
        Action lastMoment = new Action(Kind.POST, 0);
        lastMoment.answer = send(lastMoment, null);
        assertEquals(201, lastMoment.answer.statusCode(), () -> text(lastMoment.answer));
        actions.add(lastMoment);

        long killedAt = System.nanoTime();
        process.destroyForcibly();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the demo dies on SIGKILL");
        assertEquals(KILLED_BY_SIGKILL, process.exitValue(), "destroyForcibly() sent SIGKILL");
        paymentService.answerSlowly(amount -> false, 0);
        for (CompletableFuture<HttpResponse<byte[]>> future : futures) {
            try {
                HttpResponse<byte[]> answered = future.get(30, TimeUnit.SECONDS);
                fail("a request inside its handler was answered before the kill: " + answered.statusCode() + " "
                        + text(answered));
            } catch (ExecutionException e) {
                // Cut off by the kill: the client never learnt what happened, so it retries.
            }
        }
        for (Action action : inFlight) {
            String note = action.kind == Kind.POST ? "killed-inside-handler"
                    : action.amount % 2 == 1 ? "killed-charged-without-row" : "killed-charged-with-row";
            notes.get(action.kind).merge(note, 1L, Long::sum);
        }

        start();
        long restartedAt = System.nanoTime();
        notes.get(Kind.POST).merge("restart-ms", TimeUnit.NANOSECONDS.toMillis(restartedAt - killedAt), Long::sum);
        long deadline = restartedAt + RETRY_DEADLINE.toNanos();
        List<Action> unanswered = new ArrayList<>(inFlight);
        while (!unanswered.isEmpty()) {
            assertTrue(System.nanoTime() < deadline, () -> unanswered.size() + " actions still unanswered after "
                    + RETRY_DEADLINE);
            for (var it = unanswered.iterator(); it.hasNext(); ) {
                Action action = it.next();
                HttpResponse<byte[]> response = send(action, null);
                int status = response.statusCode();
                notes.get(action.kind).merge("retries-after-restart", 1L, Long::sum);
                if (status != 409 && status < 500) {
                    action.answer = response;
                    it.remove();
                } else {
                    notes.get(action.kind).merge("retries-answered-" + status, 1L, Long::sum);
                }
            }
            if (!unanswered.isEmpty()) {
                Thread.sleep(200);
            }
        }
        notes.get(Kind.POST).merge("all-answered-after-restart-ms",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedAt), Long::sum);
        actions.addAll(inFlight);
    }

    private void assertAnswerDescribesTheEffect(Connection db, Action action) throws Exception {
        assertEquals(201, action.answer.statusCode(), () -> text(action.answer));
        JsonNode answer = JSON.readTree(action.answer.body());
        assertEquals(action.account, answer.get("account_id").asText());
        String table = action.kind == Kind.POST ? "posts" : "payments";
        try (PreparedStatement select = db.prepareStatement("SELECT id FROM " + table + " WHERE account_id = ?")) {
            select.setString(1, action.account);
            try (ResultSet row = select.executeQuery()) {
                assertTrue(row.next());
                assertEquals(row.getLong(1), answer.get("id").asLong(), "the answer names the row that exists");
            }
        }
        if (action.kind == Kind.PAYMENT) {
            assertEquals(paymentService.onlyChargeFor(action.account).id(), answer.get("charge_id").asText(),
                    "the answer names the one charge the service made");
        }
    }

    private void start() throws Exception {
        String jar = System.getProperty(ExecutableJarIT.JAR_PROPERTY);
        assertNotNull(jar, "system property " + ExecutableJarIT.JAR_PROPERTY + " (set by the failsafe configuration)");
        assertTrue(Files.isRegularFile(Path.of(jar)), "the shaded jar " + jar + " (built by mvn package)");
        // C1 only: the demo starts in half the time on a busy CI machine, and the JIT tier changes no behaviour.
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-XX:TieredStopAtLevel=1", "-jar", jar, "--port", "0",
                "--payments-url", paymentService.uri().toString(), "--lease-duration", LEASE_SECONDS + "s"));
        command.addAll(databaseOptions());
        command.addAll(List.of("--claim", claim()));
        process = new ProcessBuilder(command).directory(tmp.toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(stderr.file().toFile()))
                .start();
        processes.add(process);
        BufferedReader stdout = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                return stdout.readLine();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(60, TimeUnit.SECONDS);
        assertNotNull(line, "the demo ended without printing its address");
        Matcher listening = LISTENING.matcher(line);
        assertTrue(listening.matches(), () -> "first line '" + line + "'");
        demo = URI.create(listening.group(1));
    }

    private HttpRequest request(Action action, String delayMillis) {
        HttpRequest.Builder request = HttpRequest.newBuilder(demo.resolve(action.path()))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", action.key)
                .header(PublishingApiServer.CLIENT_HEADER, "crash-test-client")
                .POST(HttpRequest.BodyPublishers.ofString(action.body()));
        if (delayMillis != null) {
            request.header(PostsServlet.DELAY_HEADER, delayMillis);
        }
        return request.build();
    }

    private HttpResponse<byte[]> send(Action action, String delayMillis) throws IOException, InterruptedException {
        return HTTP.send(request(action, delayMillis), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The payment rows of {@code action} as the running demo lists them (they commit on their own). */
    private int paymentRows(Action action) {
        return listed("/payments", action);
    }

    /** The committed rows of {@code action} that the running demo lists at {@code path}. */
    private int listed(String path, Action action) {
        try {
            HttpResponse<byte[]> list = HTTP.send(HttpRequest.newBuilder(demo.resolve(path + "?account_id="
                    + action.account)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, list.statusCode(), () -> text(list));
            return JSON.readTree(list.body()).size();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int count(Connection db, String table, String account) throws SQLException {
        try (PreparedStatement select = db.prepareStatement("SELECT COUNT(*) FROM " + table + " WHERE account_id = ?")) {
            select.setString(1, account);
            try (ResultSet row = select.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        }
    }

    private static int inProgressRecords(Connection db) throws SQLException {
        try (Statement select = db.createStatement();
                ResultSet row = select.executeQuery(
                        "SELECT COUNT(*) FROM idempotency_record WHERE response_status IS NULL")) {
            row.next();
            return row.getInt(1);
        }
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(20);
        }
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }
}
