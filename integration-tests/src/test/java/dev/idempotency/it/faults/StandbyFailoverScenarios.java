package dev.idempotency.it.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.testing.EffectLedger;
import dev.idempotency.testing.FaultSettings;
import dev.idempotency.testing.PostgresFailoverExtension;
import dev.idempotency.testing.PostgresFailoverExtension.Replication;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The primary dies under load and the standby takes over: a real PostgreSQL primary and streaming standby
 * ({@link PostgresFailoverExtension}), the {@link FaultApp} on a store built on the pgjdbc multi-host URL of
 * both ({@code targetServerType=primary}, a 1 s connection timeout), and {@value #CLIENTS} client threads
 * that send every action twice (two clients each send the same key and body, at about the same time) and
 * retry each copy, as the protocol says, until it gets a final answer. Transaction mode ({@code POST /orders},
 * a row in {@code fault_orders}) and lease mode ({@code POST /payments}, a charge at the
 * {@link FakeDownstream} under the handler's derived key) side by side.
 *
 * <p>One failover: once a third of the copies are answered, a few more actions are sent that stop inside their
 * handlers past their effect ({@code X-Test-Hold}: an order's transaction open, a payment charged with its
 * lease held). Replication then stalls ({@link PostgresFailoverExtension#stallReplication()}): with
 * synchronous replication until commits wait for the standby, with asynchronous replication until a few
 * answers are confirmed that the standby lacks. Then the primary is killed with SIGKILL, the held handlers
 * finish while there is no primary, and the standby is promoted. The application is not restarted: its
 * pool's connections to the dead primary fail, requests are answered 503 with {@code Retry-After} while
 * there is no primary, and the driver finds the promoted standby by itself. The held payments' keys are
 * taken over by their copies once their leases end, on the new primary, so their handlers run a second
 * time; the derived key makes the downstream charge once.
 *
 * <p>Afterwards the accounts are printed as ledgers, and every answer a client saw is compared with the effect
 * and with a replay of its key. What is asserted depends on the replication:
 * <ul>
 * <li>always: every action is answered within {@link #RECOVERY_DEADLINE} of the promotion (none stuck);
 * every answer is a 2xx, a 409, or a 503 problem ({@code store-unavailable}, {@code outcome-not-stored}) with
 * {@code Retry-After}: a connection error in the store is never a 500. The one 500 allowed is the handler's
 * own: an order handler whose INSERT was on the connection that died throws, and the filter passes a
 * handler's failure through to the container, as it does for any handler that throws (its transaction is
 * rolled back, so the retry runs); these are counted in the ledger. No effect is duplicated, because an
 * order's row commits with its stored outcome and a standby holds a prefix of the primary's commits, and a charge is made
 * under the derived key; no key is left in progress;</li>
 * <li>{@link Replication#SYNCHRONOUS}: besides, no action is lost, every answer names the effect that
 * exists, and every 2xx a client saw is replayed, the same, after the failover;</li>
 * <li>{@link Replication#ASYNCHRONOUS}: commits confirmed just before the kill may not have reached the
 * standby; how many 2xx answers were not replayed after the failover, and how many actions lost their effect,
 * is printed, not asserted.</li>
 * </ul>
 *
 * <p>{@code -Dfault.duration=10m} repeats the failover, the other way round each time
 * ({@link PostgresFailoverExtension#rebuildStandby()}), until that much time has passed.
 */
abstract class StandbyFailoverScenarios {

    static final int LEASE_SECONDS = 2;
    static final int CLIENTS = 8;
    static final int ACTIONS = 80;
    static final int HELD_ORDERS = 2;
    static final int HELD_PAYMENTS = 2;
    static final String HANDLER_MILLIS = "20";
    static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(1);
    /** From the promotion until every action has its answer: the leases, and ample time for the pool. */
    static final Duration RECOVERY_DEADLINE = Duration.ofSeconds(30);
    private static final long RETRY_PAUSE_MILLIS = 50;
    private static final String STORE_UNAVAILABLE = "urn:idempotency:problem:store-unavailable";
    private static final String OUTCOME_NOT_STORED = "urn:idempotency:problem:outcome-not-stored";
    /** The container's error page for the exception {@link FaultApp}'s order handler throws when its insert fails. */
    private static final String HANDLER_INSERT_FAILED = "ServletException: insert failed";

    private FakeDownstream downstream;
    private FaultApp app;
    private final String run = "failover-" + UUID.randomUUID().toString().substring(0, 8) + "-";

    /** The primary and standby, made for each test. */
    protected abstract PostgresFailoverExtension pg();

    /** One logical action: a key and an item, in one mode; the answers its copies received. */
    private final class Action {
        final String key = UUID.randomUUID().toString();
        final String item = run + UUID.randomUUID();
        final boolean lease;
        final boolean held;
        final List<String> bodies2xx = new CopyOnWriteArrayList<>();
        final AtomicInteger copiesAnswered = new AtomicInteger();
        volatile boolean stuck;

        Action(boolean lease, boolean held) {
            this.lease = lease;
            this.held = held;
        }

        HttpRequest request(boolean hold) {
            String path = lease ? "/payments" : "/orders";
            return hold
                    ? FaultClient.post(app.uri(path), key, FaultClient.item(item), Duration.ofSeconds(60),
                            "X-Test-Hold", "1")
                    : FaultClient.post(app.uri(path), key, FaultClient.item(item), Duration.ofSeconds(60),
                            "X-Test-Sleep-Ms", HANDLER_MILLIS);
        }
    }

    /** The accounts of the whole test, in both modes. */
    private final class Accounts {
        final EffectLedger transactions;
        final EffectLedger leases;
        final Queue<String> unexpected = new ConcurrentLinkedQueue<>();
        final AtomicLong firstSuccessAfterPromotion = new AtomicLong();

        Accounts(String fault) {
            transactions = new EffectLedger(fault + " | transaction mode, POST /orders: effect = rows in fault_orders");
            leases = new EffectLedger(fault + " | lease mode, POST /payments: effect = charges at the downstream"
                    + " service");
        }

        EffectLedger of(Action action) {
            return action.lease ? leases : transactions;
        }

        void note(String name, long count) {
            transactions.note(name, count);
            leases.note(name, count);
        }
    }

    @BeforeEach
    void startAppOnBothServers() throws Exception {
        downstream = new FakeDownstream();
        JdbcIdempotencyStore store = JdbcIdempotencyStore.builder().jdbcUrl(pg().jdbcUrl())
                .connectionTimeout(CONNECTION_TIMEOUT).build();
        app = FaultApp.start(store, IdempotencyConfig.custom().leasePaths("/payments")
                .leaseDuration(Duration.ofSeconds(LEASE_SECONDS)).purgeInterval(Duration.ZERO).build(),
                downstream.chargesUri());
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (app != null) {
                app.release();
                app.close();
            }
        } finally {
            downstream.close();
        }
    }

    @Test
    void primaryKilledUnderLoadStandbyPromotedEveryActionAnsweredAndNothingDuplicated() throws Exception {
        Replication replication = pg().replication();
        Accounts accounts = new Accounts("failover: primary killed (SIGKILL) under load, standby promoted"
                + " | PostgreSQL, " + replication.name().toLowerCase(java.util.Locale.ROOT) + " replication");
        long until = System.nanoTime() + FaultSettings.duration(Duration.ZERO).toNanos();
        List<Action> all = new ArrayList<>();
        long failovers = 0;
        do {
            if (failovers > 0) {
                pg().rebuildStandby();
            }
            failovers++;
            all.addAll(failover(accounts));
        } while (System.nanoTime() < until);
        accounts.note("failovers", failovers);
        settle(replication, all, failovers, accounts);
    }

    /** One cycle: load, the held requests, the kill and the promotion, and retries until all are answered. */
    private List<Action> failover(Accounts accounts) throws Exception {
        List<Action> actions = new ArrayList<>();
        for (int i = 0; i < ACTIONS; i++) {
            actions.add(new Action(i % 2 == 1, false));
        }
        List<Action> held = new ArrayList<>();
        for (int i = 0; i < HELD_ORDERS + HELD_PAYMENTS; i++) {
            held.add(new Action(i >= HELD_ORDERS, true));
        }
        AtomicInteger answered = new AtomicInteger();
        AtomicLong promotedAt = new AtomicLong();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            // Each action goes to two clients at the same place in their queues: the copies meet.
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                running.add(clients.submit(() -> {
                    for (int i = 0; i < ACTIONS; i++) {
                        if (i % CLIENTS == client || (i + 1) % CLIENTS == client) {
                            sendUntilAnswered(actions.get(i), accounts, promotedAt, answered);
                        }
                    }
                    return null;
                }));
            }
            awaitTrue(() -> answered.get() >= ACTIONS * 2 / 3, "a third of the copies are answered");

            app.holdAgain();
            Map<Action, CompletableFuture<HttpResponse<String>>> originals = new java.util.LinkedHashMap<>();
            for (Action action : held) {
                originals.put(action, FaultClient.sendAsync(action.request(true)));
            }
            awaitTrue(() -> held.stream().allMatch(a -> app.pastTheirEffect.contains(a.item)),
                    "the held requests are past their effects");
            // Their copies go out now and retry (409) while the originals are held, across the failover.
            for (Action action : held) {
                running.add(clients.submit(() -> {
                    sendUntilAnswered(action, accounts, promotedAt, answered);
                    return null;
                }));
            }

            // Replication stalls just before the crash, as across a broken network: with synchronous
            // replication the primary's commits wait for the standby, and the kill cuts them off mid-COMMIT;
            // with asynchronous replication the primary confirms commits that the standby will never have.
            pg().stallReplication();
            if (pg().replication() == Replication.SYNCHRONOUS) {
                awaitTrue(() -> commitsWaitingForTheStandby() >= 2, "commits wait for the standby");
                accounts.note("commits-waiting-for-the-standby-at-kill", commitsWaitingForTheStandby());
            } else {
                int confirmedBefore = answered.get();
                awaitTrue(() -> answered.get() >= confirmedBefore + 4, "commits are confirmed past the standby");
                accounts.note("2xx-while-replication-stalled", answered.get() - confirmedBefore);
            }
            assertTrue(originals.values().stream().noneMatch(CompletableFuture::isDone),
                    "the held requests are still inside their handlers when the primary dies");
            long killedAt = System.nanoTime();
            accounts.note("answered-before-kill", answered.get());
            pg().killPrimary();
            long killed = System.nanoTime();
            // The held handlers finish while there is no primary: an order's transaction died with the old
            // primary (503 store-unavailable), a payment was charged but its outcome cannot be stored (503
            // outcome-not-stored), so its key stays leased until the lease ends and its copy runs it again.
            app.release();
            for (Map.Entry<Action, CompletableFuture<HttpResponse<String>>> original : originals.entrySet()) {
                Action action = original.getKey();
                HttpResponse<String> response = original.getValue().get(60, TimeUnit.SECONDS);
                record(action, response, accounts);
                assertProblem(response, action.lease ? OUTCOME_NOT_STORED : STORE_UNAVAILABLE, accounts);
            }
            long promoting = System.nanoTime();
            pg().promoteStandby();
            promotedAt.set(System.nanoTime());
            accounts.note("kill-ms", TimeUnit.NANOSECONDS.toMillis(killed - killedAt));
            accounts.note("promote-ms", TimeUnit.NANOSECONDS.toMillis(promotedAt.get() - promoting));
            accounts.note("no-primary-ms", TimeUnit.NANOSECONDS.toMillis(promotedAt.get() - killedAt));

            for (Future<?> client : running) {
                client.get(RECOVERY_DEADLINE.toSeconds() + 30, TimeUnit.SECONDS);
            }
            accounts.note("all-answered-after-promotion-ms",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - promotedAt.get()));
            if (accounts.firstSuccessAfterPromotion.get() > 0) {
                accounts.note("first-2xx-after-promotion-ms", TimeUnit.NANOSECONDS.toMillis(
                        accounts.firstSuccessAfterPromotion.getAndSet(0) - promotedAt.get()));
            }
        } finally {
            clients.shutdownNow();
        }
        List<Action> cycle = new ArrayList<>(actions);
        cycle.addAll(held);
        return cycle;
    }

    /** Backends of the primary whose COMMIT waits for the synchronous standby. */
    private int commitsWaitingForTheStandby() {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(pg().primaryJdbcUrl());
                java.sql.Statement st = c.createStatement();
                java.sql.ResultSet rs = st.executeQuery(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")) {
            rs.next();
            return rs.getInt(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("could not ask the primary what its backends wait for", e);
        }
    }

    /** Sends one copy of {@code action} until it gets a final answer, or marks it stuck after the deadline. */
    private void sendUntilAnswered(Action action, Accounts accounts, AtomicLong promotedAt, AtomicInteger answered)
            throws InterruptedException {
        while (true) {
            long promoted = promotedAt.get();
            if (promoted > 0 && System.nanoTime() - promoted > RECOVERY_DEADLINE.toNanos()) {
                action.stuck = true;
                return;
            }
            HttpResponse<String> response;
            try {
                response = FaultClient.send(action.request(false));
            } catch (IOException e) {
                // The application stays up through the failover; its connections should not fail.
                accounts.unexpected.add(action.item + ": " + e);
                Thread.sleep(RETRY_PAUSE_MILLIS);
                continue;
            }
            record(action, response, accounts);
            int status = response.statusCode();
            if (status / 100 == 2) {
                if (promoted > 0) {
                    accounts.firstSuccessAfterPromotion.compareAndSet(0, System.nanoTime());
                }
                action.copiesAnswered.incrementAndGet();
                answered.incrementAndGet();
                return;
            }
            if (FaultClient.isFinal(status)) {
                accounts.unexpected.add(action.item + ": final answer " + status + " " + response.body());
                return;
            }
            if (status == 500 && !action.lease && response.body().contains(HANDLER_INSERT_FAILED)) {
                // The handler's own INSERT was on the connection that died: the handler failed, and the filter
                // passes a handler's failure through (behaviour.md, row 16); rolled back, so the retry runs.
                accounts.of(action).note("500-handler-statement-cut-off", 1);
            } else if (status != 409) {
                assertProblem(response, action.lease && response.body().contains(OUTCOME_NOT_STORED)
                        ? OUTCOME_NOT_STORED : STORE_UNAVAILABLE, accounts);
            }
            Thread.sleep(RETRY_PAUSE_MILLIS);
        }
    }

    private static void record(Action action, HttpResponse<String> response, Accounts accounts) {
        accounts.of(action).answer(response.statusCode());
        if (response.statusCode() / 100 == 2) {
            action.bodies2xx.add(response.body());
        } else if (response.statusCode() == 503) {
            accounts.of(action).note(response.body().contains(OUTCOME_NOT_STORED) ? "503-outcome-not-stored"
                    : "503-store-unavailable", 1);
        }
    }

    /**
     * Counts the effects on the new primary into the ledgers, prints them, compares every 2xx with the effect
     * and with a replay of its key, and asserts what the replication guarantees.
     */
    private void settle(Replication replication, List<Action> actions, long failovers, Accounts accounts)
            throws Exception {
        try (HikariDataSource direct = new HikariDataSource()) {
            direct.setJdbcUrl(pg().primaryJdbcUrl());
            direct.setMaximumPoolSize(2);
            settle(replication, actions, failovers, accounts, direct);
        }
    }

    private void settle(Replication replication, List<Action> actions, long failovers, Accounts accounts,
            DataSource direct) throws Exception {
        for (Action action : actions) {
            accounts.of(action).action(action.item);
        }
        Effects.countOrders(direct, run, accounts.transactions, actions.stream().filter(a -> !a.lease)
                .map(a -> a.item).toList());
        for (Action action : actions) {
            if (action.lease) {
                accounts.leases.effects(action.item, downstream.chargesFor(action.item));
            }
        }
        long stuck = actions.stream().filter(a -> a.stuck).count();
        long notMatchingTheEffect = 0;
        for (Action action : actions) {
            accounts.of(action).note("2xx-not-naming-the-effect", 0);
            for (String body : action.bodies2xx) {
                if (!describesTheEffect(direct, action, body)) {
                    notMatchingTheEffect++;
                    accounts.of(action).note("2xx-not-naming-the-effect", 1);
                }
            }
            accounts.of(action).note("stuck", action.stuck ? 1 : 0);
        }
        // After the effects are counted: in asynchronous mode a replay of a key whose commit was lost runs
        // its handler again.
        long notReplayed = 0;
        for (Action action : actions) {
            List<String> seen = action.bodies2xx.stream().distinct().toList();
            if (seen.isEmpty()) {
                continue;
            }
            HttpResponse<String> replay = FaultClient.send(action.request(false));
            if (replay.statusCode() / 100 != 2 || !FaultClient.isReplay(replay) || seen.size() > 1
                    || !seen.get(0).equals(replay.body())) {
                notReplayed++;
                accounts.of(action).note("2xx-not-replayed-after-failover", 1);
            } else {
                accounts.of(action).note("2xx-not-replayed-after-failover", 0);
            }
        }
        long heldPaymentsRerun = actions.stream().filter(a -> a.held && a.lease)
                .filter(a -> downstream.callsFor(a.item) >= 2).count();
        accounts.leases.note("held-lease-handlers-run-again-after-failover", heldPaymentsRerun);
        accounts.leases.note("downstream-calls", downstream.calls());

        String summaries = accounts.transactions.summary() + "\n" + accounts.leases.summary();
        assertTrue(accounts.unexpected.isEmpty(), () -> "answers outside the protocol: " + accounts.unexpected
                + "\n" + summaries);
        assertEquals(0, stuck, () -> "actions without an answer " + RECOVERY_DEADLINE.toSeconds()
                + " s after the promotion\n" + summaries);
        assertEquals(HELD_PAYMENTS * failovers, heldPaymentsRerun,
                () -> "every held payment's handler ran again after the failover, under the same derived key\n"
                        + summaries);
        assertEquals(0, Effects.inProgressRecords(direct), "no key is left in progress");
        if (replication == Replication.SYNCHRONOUS) {
            accounts.transactions.printAndAssertExactlyOnce();
            accounts.leases.printAndAssertExactlyOnce();
            assertEquals(0, notMatchingTheEffect, () -> "answers naming an effect that does not exist\n" + summaries);
            assertEquals(0, notReplayed, () -> "2xx answers not replayed after the failover\n" + summaries);
        } else {
            System.out.println(accounts.transactions.summary());
            System.out.println(accounts.leases.summary());
            // Lost commits take their stored outcomes with them, and the standby holds a prefix of the
            // primary's history: a retry finds either the outcome or nothing, never an effect without it.
            assertEquals(0, accounts.transactions.duplicated(), summaries);
            assertEquals(0, accounts.leases.duplicated(), summaries);
        }
    }

    /** Whether a 2xx body names the one effect of its action: the order's row, the payment's charge. */
    private boolean describesTheEffect(DataSource direct, Action action, String body) throws Exception {
        var answer = FaultApp.json(body);
        if (action.lease) {
            return downstream.chargesFor(action.item) == 1
                    && downstream.chargeIdFor(action.item).equals(answer.get("charge").asText());
        }
        Integer rows = Effects.ordersByItem(direct, action.item).get(action.item);
        return rows != null && rows == 1 && Effects.orderId(direct, action.item) == answer.get("id").asLong();
    }

    /** A 503 problem of {@code type} with {@code Retry-After}; anything else is recorded as unexpected. */
    private static void assertProblem(HttpResponse<String> response, String type, Accounts accounts) {
        boolean expected = response.statusCode() == 503
                && "application/problem+json".equals(response.headers().firstValue("Content-Type").orElse(null))
                && response.body().contains("\"type\":\"" + type + "\"")
                && response.headers().firstValue("Retry-After").isPresent();
        if (!expected) {
            accounts.unexpected.add(response.statusCode() + " " + response.headers().firstValue("Content-Type")
                    .orElse("") + " " + response.body() + " (expected 503 " + type + " with Retry-After)");
        }
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(10);
        }
    }
}
