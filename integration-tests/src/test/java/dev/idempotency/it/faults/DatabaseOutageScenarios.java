package dev.idempotency.it.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.ClaimStrategy;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.testing.EffectLedger;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The network between the application and its database fails, through a {@link TcpProxy}: the store is
 * built on the proxy's address ({@code JdbcIdempotencyStore.builder().jdbcUrl(...)} with a 1 s connection
 * timeout, so an outage is answered at once), while the test counts effects over a direct connection.
 * Transaction mode ({@code POST /orders}, the row in the request's transaction) and lease mode
 * ({@code POST /payments}, lease {@value #LEASE_SECONDS} s, a charge downstream) side by side; transaction mode
 * with the default claim, or the optimistic one where a subclass says so ({@link #claim()}), with the same answers:
 * an optimistic request whose connection is cut fails at its record's insert, rolled back, as a default one does.
 */
abstract class DatabaseOutageScenarios {

    static final int LEASE_SECONDS = 2;
    static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(1);
    /**
     * How soon after the database is reachable again every action must have its answer: the lease of a
     * lease-mode request whose outcome could not be stored, plus ample time for the pool to replace the
     * connections the outage broke. A pool that kept handing out broken connections would miss it.
     */
    private static final Duration RECOVERY_DEADLINE = Duration.ofSeconds(LEASE_SECONDS + 13);
    private static final String STORE_UNAVAILABLE = "urn:idempotency:problem:store-unavailable";
    private static final String OUTCOME_NOT_STORED = "urn:idempotency:problem:outcome-not-stored";

    private TcpProxy proxy;
    private FakeDownstream downstream;
    private FaultApp app;

    protected abstract String databaseName();

    /** The database server's own address, which the proxy forwards to. */
    protected abstract InetSocketAddress server();

    /** The database's JDBC URL, with the server's address replaced by {@code 127.0.0.1:port}. */
    protected abstract String jdbcUrlThrough(int port);

    protected abstract String user();

    protected abstract String password();

    /** The claim of transaction-mode requests: the default, unless a subclass says otherwise. */
    protected ClaimStrategy claim() {
        return ClaimStrategy.PESSIMISTIC;
    }

    /** A pool straight to the database, bypassing the proxy: for counting effects. */
    protected abstract DataSource direct();

    /** One logical action: a key and an item, in one mode. */
    private record Action(String key, String item, boolean lease) {
        static Action of(boolean lease) {
            return new Action(UUID.randomUUID().toString(), "outage-" + UUID.randomUUID(), lease);
        }

        String path() {
            return lease ? "/payments" : "/orders";
        }
    }

    @BeforeEach
    void startAppThroughTheProxy() throws Exception {
        proxy = TcpProxy.to(server().getHostString(), server().getPort());
        downstream = new FakeDownstream();
        JdbcIdempotencyStore store = JdbcIdempotencyStore.builder().jdbcUrl(jdbcUrlThrough(proxy.port()))
                .username(user()).password(password()).connectionTimeout(CONNECTION_TIMEOUT).build();
        app = FaultApp.start(store, IdempotencyConfig.custom().leasePaths("/payments").claim(claim())
                .leaseDuration(Duration.ofSeconds(LEASE_SECONDS)).purgeInterval(Duration.ZERO).build(),
                downstream.chargesUri());
        assertTrue(proxy.accepted() > 0, "the store's connections go through the proxy");
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (app != null) {
                app.close();
            }
        } finally {
            proxy.close();
            downstream.close();
        }
    }

    /**
     * Requests inside their handlers when every database connection is reset. Transaction mode: the request's
     * transaction dies with its connection, so the client gets 503 {@code store-unavailable} with
     * {@code Retry-After}, nothing is left (no row, no record), and the retry takes effect once. Lease mode:
     * the handler holds no connection while it runs, so its outcome is stored on a fresh one (201), or, if it
     * drew a dead one from the pool, it gets 503 {@code outcome-not-stored} (the request ran; nothing rolled
     * back) and the retry runs it again once the key is free; the downstream charges once either way.
     */
    @Test
    void connectionsCutMidRequestAnswer503AndTheRetriesTakeEffectOnce() throws Exception {
        List<Action> inFlight = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            inFlight.add(Action.of(false));
            inFlight.add(Action.of(true));
        }
        Map<Action, CompletableFuture<HttpResponse<String>>> sent = send(inFlight, true);
        awaitPastTheirEffect(inFlight);

        proxy.cutAll();
        long cutAt = System.nanoTime();
        app.release();

        EffectLedger transactions = ledger("connection cut mid-request (TCP proxy reset)", false);
        EffectLedger leases = ledger("connection cut mid-request (TCP proxy reset)", true);
        Map<Action, HttpResponse<String>> answers = new LinkedHashMap<>();
        for (Map.Entry<Action, CompletableFuture<HttpResponse<String>>> entry : sent.entrySet()) {
            Action action = entry.getKey();
            HttpResponse<String> cut = entry.getValue().get(60, TimeUnit.SECONDS);
            (action.lease() ? leases : transactions).answer(cut.statusCode());
            if (!action.lease()) {
                assertProblem(cut, STORE_UNAVAILABLE);
            } else if (cut.statusCode() == 201) {
                answers.put(action, cut);
            } else {
                assertProblem(cut, OUTCOME_NOT_STORED);
            }
        }
        List<String> cutKeys = inFlight.stream().filter(a -> !a.lease()).map(Action::key).toList();
        for (Action action : inFlight) {
            if (!action.lease()) {
                assertEquals(0, Effects.ordersByItem(direct(), action.item()).size(),
                        "the cut transaction's row was rolled back with it");
            }
        }
        assertEquals(0, Effects.records(direct(), cutKeys), "and its key was freed");

        retryUntilAnswered(inFlight, answers, transactions, leases, cutAt);
        for (EffectLedger ledger : List.of(transactions, leases)) {
            ledger.note("all-answered-after-cut-ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt));
        }
        settle(inFlight, answers, transactions, leases);
    }

    /**
     * The database goes down (the proxy resets every connection and refuses new ones) with requests in
     * flight, stays down for a while, and comes back. The requests in flight get 503: {@code store-unavailable}
     * in transaction mode (rolled back), {@code outcome-not-stored} in lease mode (the handler ran; its key
     * stays leased until the lease runs out). While it is down: every covered request, new or
     * retried, in either mode, is answered 503 {@code store-unavailable} with {@code Retry-After} within
     * about the pool's connection timeout; {@code GET /ping}, which the filter does not cover and which
     * does not use the database, answers 200; {@code GET /orders?item=}, which the filter does not cover
     * but which reads the database, fails with the handler's own error, a 500 from the container, exactly
     * as it would without the filter (the filter passes it through and does not turn it into a 503). Once
     * the database is back, the same application, not restarted, serves every retry, and each action takes
     * effect once.
     */
    @Test
    void databaseDownAnswers503WithRetryAfterAndEverythingRecoversWithoutARestart() throws Exception {
        List<Action> inFlight = List.of(Action.of(false), Action.of(false), Action.of(true), Action.of(true));
        Map<Action, CompletableFuture<HttpResponse<String>>> sent = send(inFlight, true);
        awaitPastTheirEffect(inFlight);

        proxy.refuseNew();
        proxy.cutAll();
        long downSince = System.nanoTime();
        app.release();

        EffectLedger transactions = ledger("database down, then back (TCP proxy refusing)", false);
        EffectLedger leases = ledger("database down, then back (TCP proxy refusing)", true);
        List<Action> actions = new ArrayList<>(inFlight);
        for (Map.Entry<Action, CompletableFuture<HttpResponse<String>>> entry : sent.entrySet()) {
            HttpResponse<String> down = entry.getValue().get(60, TimeUnit.SECONDS);
            (entry.getKey().lease() ? leases : transactions).answer(down.statusCode());
            assertProblem(down, entry.getKey().lease() ? OUTCOME_NOT_STORED : STORE_UNAVAILABLE);
        }
        for (int i = 0; i < 3; i++) {
            actions.add(Action.of(false));
            actions.add(Action.of(true));
        }
        long asked = System.nanoTime();
        for (Map.Entry<Action, CompletableFuture<HttpResponse<String>>> whileDown : send(actions, false).entrySet()) {
            HttpResponse<String> down = whileDown.getValue().get(60, TimeUnit.SECONDS);
            (whileDown.getKey().lease() ? leases : transactions).answer(down.statusCode());
            assertProblem(down, STORE_UNAVAILABLE);
        }
        long answeredIn = System.nanoTime() - asked;
        assertTrue(answeredIn < TimeUnit.SECONDS.toNanos(5), "503 within about the connection timeout, not "
                + TimeUnit.NANOSECONDS.toMillis(answeredIn) + " ms");
        HttpResponse<String> ping = FaultClient.get(app.uri("/ping"));
        assertEquals(200, ping.statusCode(), "an uncovered request that needs no database is served");
        assertEquals("pong", ping.body());
        HttpResponse<String> read = FaultClient.get(app.uri("/orders?item=" + actions.get(0).item()));
        assertEquals(500, read.statusCode(), "an uncovered request that needs the database fails as it would "
                + "without the filter: " + read.body());
        assertNotEquals("application/problem+json", read.headers().firstValue("Content-Type").orElse(""),
                "the filter does not answer uncovered requests");
        long downFor = System.nanoTime() - downSince;

        proxy.restore();
        long upSince = System.nanoTime();
        Map<Action, HttpResponse<String>> answers = new LinkedHashMap<>();
        long firstSuccess = retryUntilAnswered(actions, answers, transactions, leases, upSince);
        for (EffectLedger ledger : List.of(transactions, leases)) {
            ledger.note("all-answered-after-back-ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - upSince));
            ledger.note("down-ms", TimeUnit.NANOSECONDS.toMillis(downFor));
            ledger.note("503-while-down-within-ms", TimeUnit.NANOSECONDS.toMillis(answeredIn));
            ledger.note("first-success-after-back-ms", TimeUnit.NANOSECONDS.toMillis(firstSuccess - upSince));
        }
        settle(actions, answers, transactions, leases);
    }

    private EffectLedger ledger(String fault, boolean lease) {
        return new EffectLedger(fault + " | " + databaseName() + " | " + (lease
                ? "lease mode, POST /payments: effect = charges at the downstream service"
                : "transaction mode" + (claim() == ClaimStrategy.OPTIMISTIC ? ", optimistic claim" : "")
                        + ", POST /orders: effect = rows in fault_orders"));
    }

    /** A request for {@code action}; {@code held}: its handler waits after its effect until released. */
    private java.net.http.HttpRequest request(Action action, boolean held) {
        return held
                ? FaultClient.post(app.uri(action.path()), action.key(), FaultClient.item(action.item()),
                        Duration.ofSeconds(60), "X-Test-Hold", "1")
                : FaultClient.post(app.uri(action.path()), action.key(), FaultClient.item(action.item()),
                        Duration.ofSeconds(60));
    }

    private Map<Action, CompletableFuture<HttpResponse<String>>> send(List<Action> actions, boolean held) {
        Map<Action, CompletableFuture<HttpResponse<String>>> sent = new LinkedHashMap<>();
        for (Action action : actions) {
            sent.put(action, FaultClient.sendAsync(request(action, held)));
        }
        return sent;
    }

    private void awaitPastTheirEffect(List<Action> actions) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (Action action : actions) {
            while (!app.pastTheirEffect.contains(action.item())) {
                assertTrue(System.nanoTime() < deadline, "the handlers got past their effects in time");
                Thread.sleep(10);
            }
        }
    }

    /**
     * Retries every action without an answer until it has one, all within {@link #RECOVERY_DEADLINE} of
     * {@code reachableSince} (when the database could be reached again); returns when the first retry
     * succeeded.
     */
    private long retryUntilAnswered(List<Action> actions, Map<Action, HttpResponse<String>> answers,
            EffectLedger transactions, EffectLedger leases, long reachableSince) throws Exception {
        long deadline = reachableSince + RECOVERY_DEADLINE.toNanos();
        long firstSuccess = 0;
        List<Action> unanswered = new ArrayList<>(actions.stream().filter(a -> !answers.containsKey(a)).toList());
        while (!unanswered.isEmpty()) {
            assertTrue(System.nanoTime() < deadline, () -> unanswered.size() + " actions still unanswered "
                    + RECOVERY_DEADLINE.toSeconds() + " s after the database was reachable again: "
                    + transactions.summary() + " / " + leases.summary());
            for (var it = unanswered.iterator(); it.hasNext(); ) {
                Action action = it.next();
                HttpResponse<String> response = FaultClient.send(request(action, false));
                EffectLedger ledger = action.lease() ? leases : transactions;
                ledger.answer(response.statusCode());
                ledger.note("retries", 1);
                if (FaultClient.isFinal(response.statusCode())) {
                    assertEquals(201, response.statusCode(), response::body);
                    answers.put(action, response);
                    it.remove();
                    if (firstSuccess == 0) {
                        firstSuccess = System.nanoTime();
                    }
                } else if (response.statusCode() != 409) {
                    // A retry may still draw a connection the outage broke, before the pool discards it.
                    assertProblem(response, action.lease() && response.body().contains(OUTCOME_NOT_STORED)
                            ? OUTCOME_NOT_STORED : STORE_UNAVAILABLE);
                }
            }
            if (!unanswered.isEmpty()) {
                Thread.sleep(100);
            }
        }
        return firstSuccess;
    }

    /** Counts each action's effects into its ledger, prints both, and checks every answer names its effect. */
    private void settle(List<Action> actions, Map<Action, HttpResponse<String>> answers, EffectLedger transactions,
            EffectLedger leases) throws Exception {
        for (Action action : actions) {
            if (action.lease()) {
                leases.action(action.item());
                leases.effects(action.item(), downstream.chargesFor(action.item()));
            } else {
                transactions.action(action.item());
                transactions.effects(action.item(), Effects.ordersByItem(direct(), action.item())
                        .getOrDefault(action.item(), 0));
            }
        }
        leases.note("downstream-calls", downstream.calls());
        transactions.printAndAssertExactlyOnce();
        leases.printAndAssertExactlyOnce();
        for (Action action : actions) {
            var answer = FaultApp.json(answers.get(action).body());
            if (action.lease()) {
                assertEquals(downstream.chargeIdFor(action.item()), answer.get("charge").asText());
            } else {
                assertEquals(Effects.orderId(direct(), action.item()), answer.get("id").asLong());
            }
        }
        assertEquals(0, Effects.inProgressRecords(direct()), "no key is left in progress");
    }

    /** A 503 problem of {@code type}, with {@code Retry-After}. */
    private static void assertProblem(HttpResponse<String> response, String type) {
        assertEquals(503, response.statusCode(), response::body);
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(null));
        assertTrue(response.body().contains("\"type\":\"" + type + "\""), () -> type + " expected: " + response.body());
        assertTrue(response.headers().firstValue("Retry-After").isPresent(), "Retry-After on 503");
    }
}
