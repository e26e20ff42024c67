package dev.idempotency.servlet;

import static dev.idempotency.servlet.ReplyAssertions.assertExecuted;
import static dev.idempotency.servlet.ReplyAssertions.assertProblem;
import static dev.idempotency.servlet.ReplyAssertions.assertReplayOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.idempotency.servlet.OutageStore.Outage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A store that cannot be reached gives 503 with {@code Retry-After}; one that fails otherwise gives 500.
 * Either way nothing is kept, so a retry after the outage runs the request.
 */
class StoreFailureTest {

    private OutageStore store;

    @RegisterExtension
    final JettyExtension jetty = new JettyExtension(app -> app.filter(real -> {
        store = new OutageStore(real);
        return IdempotencyFilter.builder(store).scopeResolver(ScopeResolver.header(JettyApp.API_KEY_HEADER)).build();
    }));

    @Test
    void storeUnreachableWhileClaimingGives503AndTheHandlerDoesNotRun(JettyApp app) throws Exception {
        store.fail(Outage.CLAIM_UNREACHABLE);
        Reply reply = app.post("/orders").key("k-1").json("{}").send();

        assertProblem(reply, 503, "store-unavailable");
        assertEquals("1", reply.header("Retry-After"));
        assertEquals(0, app.orderInvocations());

        store.fail(Outage.NONE);
        assertExecuted(app.post("/orders").key("k-1").json("{}").send(), 201);
    }

    @Test
    void storeUnreachableWhileStoringGives503InsteadOfTheHandlersAnswerAndTheRetryRunsAgain(JettyApp app)
            throws Exception {
        store.fail(Outage.COMPLETE_UNREACHABLE);
        Reply failed = app.post("/orders").key("k-1").json("{}").send();

        assertProblem(failed, 503, "store-unavailable");
        assertEquals("1", failed.header("Retry-After"));
        assertEquals(1, app.orderInvocations());

        store.fail(Outage.NONE);
        Reply retry = app.post("/orders").key("k-1").json("{}").send();
        Reply replay = app.post("/orders").key("k-1").json("{}").send();
        assertExecuted(retry, 201);
        assertEquals(2, retry.jsonNumber("invocation"));
        assertReplayOf(retry, replay);
        assertEquals(2, app.orderInvocations());
    }

    @Test
    void storingFailingOtherwiseGives500StoreFailure(JettyApp app) throws Exception {
        store.fail(Outage.COMPLETE_FAILS);
        Reply failed = app.post("/orders").key("k-1").json("{}").send();

        assertProblem(failed, 500, "store-failure");
        assertNull(failed.header("Retry-After"));
        assertEquals(1, app.orderInvocations());

        store.fail(Outage.NONE);
        assertExecuted(app.post("/orders").key("k-1").json("{}").send(), 201);
        assertEquals(2, app.orderInvocations());
    }

    @Test
    void responseThatIsNotStoredNeedsNoStoreToBeSent(JettyApp app) throws Exception {
        store.fail(Outage.COMPLETE_FAILS);
        Reply reply = app.post("/orders").key("k-1").header("X-Test-Status", "503").json("{}").send();

        assertExecuted(reply, 503);
        assertEquals("yes", reply.header("X-Custom"));
    }
}
