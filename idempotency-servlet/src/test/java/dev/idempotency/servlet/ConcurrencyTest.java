package dev.idempotency.servlet;

import static dev.idempotency.servlet.ReplyAssertions.assertExecuted;
import static dev.idempotency.servlet.ReplyAssertions.assertProblem;
import static dev.idempotency.servlet.ReplyAssertions.assertReplayOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.ConcurrentRequestPolicy;
import dev.idempotency.IdempotencyConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A request whose key is held by a running request: refused with 409 (the default) or, in wait mode,
 * answered with the running request's outcome once it is stored. Running requests are held at a
 * {@link Gate} so the overlap is certain, not a matter of timing, and in wait mode the test sees through
 * the store ({@link BusyWatch}) that a request found the key busy before it lets the first one go.
 */
class ConcurrencyTest {

    private static final int STORM = 32;

    @RegisterExtension
    final JettyExtension jetty = new JettyExtension();

    @Test
    void requestWhileTheFirstIsRunningIsRefusedWithInProgress(JettyApp app) throws Exception {
        CompletableFuture<Reply> first = app.post("/orders").key("order-1").header("X-Test-Gate", "first")
                .json("{}").sendAsync();
        app.gate("first").awaitArrival();

        Reply concurrent = app.post("/orders").key("order-1").json("{}").send();

        assertProblem(concurrent, 409, "in-progress");
        assertEquals("1", concurrent.header("Retry-After"));
        assertEquals(1, app.orderInvocations());

        app.gate("first").open();
        Reply original = first.get(20, TimeUnit.SECONDS);
        Reply retry = app.post("/orders").key("order-1").header("X-Test-Gate", "first").json("{}").send();

        assertExecuted(original, 201);
        assertReplayOf(original, retry);
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void retryAfterHeaderFollowsTheConfiguredValue() throws Exception {
        IdempotencyConfig config = IdempotencyConfig.custom().retryAfter(Duration.ofMillis(2500)).build();
        try (JettyApp app = JettyApp.builder().config(config).start()) {
            CompletableFuture<Reply> first = app.post("/orders").key("order-1").header("X-Test-Gate", "first")
                    .json("{}").sendAsync();
            app.gate("first").awaitArrival();

            Reply concurrent = app.post("/orders").key("order-1").json("{}").send();
            app.gate("first").open();

            assertProblem(concurrent, 409, "in-progress");
            assertEquals("3", concurrent.header("Retry-After"), "whole seconds, rounded up");
            assertExecuted(first.get(20, TimeUnit.SECONDS), 201);
        }
    }

    /**
     * A different body under a key whose first request still runs is a reuse of the key: 422, as the IETF
     * draft answers a key reused with another payload, on every store (in memory, H2 and PostgreSQL, whose
     * in-progress claim writes no record yet), and in wait mode without waiting.
     */
    @Test
    void concurrentRequestWithADifferentBodyIsKeyReuseWhileTheFirstRuns(JettyApp app) throws Exception {
        CompletableFuture<Reply> first = app.post("/orders").key("order-1").header("X-Test-Gate", "first")
                .json("{\"a\":1}").sendAsync();
        app.gate("first").awaitArrival();

        Reply concurrent = app.post("/orders").key("order-1").json("{\"a\":2}").send();
        Reply sameBody = app.post("/orders").key("order-1").json("{\"a\":1}").send();
        app.gate("first").open();

        assertProblem(concurrent, 422, "key-reused");
        assertProblem(sameBody, 409, "in-progress");
        assertExecuted(first.get(20, TimeUnit.SECONDS), 201);
        assertProblem(app.post("/orders").key("order-1").json("{\"a\":2}").send(), 422, "key-reused");
        assertEquals(1, app.orderInvocations());
    }

    /** The second request is answered busy twice (it polled again instead of answering), then replayed. */
    @Test
    void inWaitModeTheConcurrentRequestGetsTheFirstOutcomeReplayed() throws Exception {
        try (JettyApp app = JettyApp.builder().config(waitMode(Duration.ofSeconds(10))).watchingBusyClaims().start()) {
            CompletableFuture<Reply> first = app.post("/orders").key("order-1").header("X-Test-Gate", "first")
                    .json("{}").sendAsync();
            app.gate("first").awaitArrival();

            CompletableFuture<Reply> waiting = app.post("/orders").key("order-1").json("{}").sendAsync();
            app.busyWatch().awaitBusyAnswers(2);
            assertFalse(waiting.isDone(), "the second request waits while the first runs");

            app.gate("first").open();
            Reply original = first.get(20, TimeUnit.SECONDS);
            Reply replay = waiting.get(20, TimeUnit.SECONDS);

            assertExecuted(original, 201);
            assertReplayOf(original, replay);
            assertEquals(1, app.orderInvocations());
        }
    }

    /** The second request finds the key busy before the first frees it (a 503 is not stored), then runs. */
    @Test
    void inWaitModeTheConcurrentRequestRunsItselfWhenTheFirstFreesTheKey() throws Exception {
        try (JettyApp app = JettyApp.builder().config(waitMode(Duration.ofSeconds(10))).watchingBusyClaims().start()) {
            CompletableFuture<Reply> first = app.post("/orders").key("order-1").header("X-Test-Gate", "first")
                    .header("X-Test-Status", "503").json("{}").sendAsync();
            app.gate("first").awaitArrival();

            CompletableFuture<Reply> waiting = app.post("/orders").key("order-1").header("X-Test-Status", "503")
                    .json("{}").sendAsync();
            app.busyWatch().awaitBusyAnswers(1);
            app.gate("first").open();

            assertExecuted(first.get(20, TimeUnit.SECONDS), 503);
            Reply second = waiting.get(20, TimeUnit.SECONDS);
            assertExecuted(second, 503);
            assertEquals(2, second.jsonNumber("invocation"), "a 503 is not stored, so the waiting request runs");
            assertEquals(2, app.orderInvocations());
        }
    }

    @Test
    void inWaitModeAWaitLongerThanTheTimeoutEndsWithInProgress() throws Exception {
        try (JettyApp app = JettyApp.builder().config(waitMode(Duration.ofMillis(200))).start()) {
            CompletableFuture<Reply> first = app.post("/orders").key("order-1").header("X-Test-Gate", "slow")
                    .json("{}").sendAsync();
            app.gate("slow").awaitArrival();

            long started = System.nanoTime();
            Reply concurrent = app.post("/orders").key("order-1").json("{}").send();
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            app.gate("slow").open();

            assertProblem(concurrent, 409, "in-progress");
            assertTrue(concurrent.hasHeader("Retry-After"), concurrent::toString);
            assertTrue(waitedMillis >= 150, "it waited about the timeout first, not " + waitedMillis + "ms");
            assertExecuted(first.get(20, TimeUnit.SECONDS), 201);
            assertEquals(1, app.orderInvocations());
        }
    }

    @Test
    void duplicateStormRunsTheHandlerOnceAndRefusesTheRest(JettyApp app) throws Exception {
        List<CompletableFuture<Reply>> replies = new ArrayList<>();
        for (int i = 0; i < STORM; i++) {
            replies.add(app.post("/orders").key("storm").header("X-Test-Gate", "storm").json("{\"n\":1}").sendAsync());
        }
        app.gate("storm").awaitArrival();
        awaitDone(replies, STORM - 1);
        app.gate("storm").open();
        List<Reply> all = join(replies);

        List<Reply> created = all.stream().filter(r -> r.status() == 201).toList();
        List<Reply> refused = all.stream().filter(r -> r.status() == 409).toList();
        assertEquals(1, created.size(), () -> statuses(all));
        assertEquals(STORM - 1, refused.size(), () -> statuses(all));
        refused.forEach(r -> assertProblem(r, 409, "in-progress"));
        assertExecuted(created.get(0), 201);
        assertEquals(1, app.orderInvocations());
    }

    /** Every copy but the one that runs finds the key busy while it runs, waits, and gets the replay. */
    @Test
    void duplicateStormInWaitModeRunsTheHandlerOnceAndReplaysItToTheRest() throws Exception {
        try (JettyApp app = JettyApp.builder().config(waitMode(Duration.ofSeconds(10))).watchingBusyClaims().start()) {
            List<CompletableFuture<Reply>> replies = new ArrayList<>();
            for (int i = 0; i < STORM; i++) {
                replies.add(app.post("/orders").key("storm").header("X-Test-Gate", "storm").json("{\"n\":1}")
                        .sendAsync());
            }
            app.gate("storm").awaitArrival();
            app.busyWatch().awaitRequestsFoundBusy(STORM - 1);
            app.gate("storm").open();
            List<Reply> all = join(replies);

            List<Reply> executed = all.stream().filter(r -> !r.replayed()).toList();
            assertEquals(1, executed.size(), () -> statuses(all));
            assertExecuted(executed.get(0), 201);
            all.stream().filter(Reply::replayed).forEach(r -> assertReplayOf(executed.get(0), r));
            assertTrue(all.stream().noneMatch(r -> r.status() >= 500), () -> statuses(all));
            assertEquals(1, app.orderInvocations());
        }
    }

    private static IdempotencyConfig waitMode(Duration timeout) {
        return IdempotencyConfig.custom().concurrent(ConcurrentRequestPolicy.WAIT).waitTimeout(timeout).build();
    }

    private static void awaitDone(List<CompletableFuture<Reply>> replies, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (replies.stream().filter(CompletableFuture::isDone).count() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Only " + replies.stream().filter(CompletableFuture::isDone).count()
                        + " of " + count + " requests were answered");
            }
            Thread.sleep(10);
        }
    }

    private static List<Reply> join(List<CompletableFuture<Reply>> replies) throws Exception {
        List<Reply> all = new ArrayList<>();
        for (CompletableFuture<Reply> reply : replies) {
            all.add(reply.get(30, TimeUnit.SECONDS));
        }
        return all;
    }

    private static String statuses(List<Reply> replies) {
        return replies.stream().map(r -> r.status() + (r.replayed() ? "(replayed)" : ""))
                .collect(Collectors.joining(", "));
    }
}
