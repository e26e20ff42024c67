package dev.idempotency.servlet;

import static dev.idempotency.servlet.ReplyAssertions.assertExecuted;
import static dev.idempotency.servlet.ReplyAssertions.assertProblem;
import static dev.idempotency.servlet.ReplyAssertions.assertReplayOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Keys are kept per client: one client's key never finds another client's record. */
class ScopeTest {

    @RegisterExtension
    final JettyExtension jetty = new JettyExtension(app -> app.scopeResolver(ScopeResolver.header("X-Api-Key")));

    @Test
    void anotherClientUsingTheSameKeyRunsItsOwnRequest(JettyApp app) throws Exception {
        Reply clientA = app.post("/orders").apiKey("client-a").key("shared-key").json("{}").send();
        Reply clientB = app.post("/orders").apiKey("client-b").key("shared-key").json("{}").send();

        assertExecuted(clientA, 201);
        assertExecuted(clientB, 201);
        assertEquals(1, clientA.jsonNumber("invocation"));
        assertEquals(2, clientB.jsonNumber("invocation"), "client B must not get client A's outcome");
        assertEquals(2, app.orderInvocations());
    }

    @Test
    void eachClientsRetryReplaysItsOwnOutcome(JettyApp app) throws Exception {
        Reply clientA = app.post("/orders").apiKey("client-a").key("shared-key").json("{}").send();
        Reply clientB = app.post("/orders").apiKey("client-b").key("shared-key").json("{\"other\":true}").send();
        Reply retryA = app.post("/orders").apiKey("client-a").key("shared-key").json("{}").send();
        Reply retryB = app.post("/orders").apiKey("client-b").key("shared-key").json("{\"other\":true}").send();

        assertExecuted(clientB, 201);
        assertReplayOf(clientA, retryA);
        assertReplayOf(clientB, retryB);
        assertEquals(1, retryA.jsonNumber("invocation"));
        assertEquals(2, retryB.jsonNumber("invocation"));
        assertEquals(2, app.orderInvocations());
    }

    @Test
    void requestWithoutTheScopeHeaderIsRefusedAndNotRun(JettyApp app) throws Exception {
        Reply reply = app.post("/orders").noApiKey().key("k-1").json("{}").send();

        assertProblem(reply, 400, "scope-unresolved");
        assertTrue(reply.jsonString("detail").contains("X-Api-Key"), reply::toString);
        assertEquals(0, app.orderInvocations());
        assertEquals(0, app.recordCount());
    }

    @Test
    void requestWithBlankScopeHeaderIsRefused(JettyApp app) throws Exception {
        Reply reply = app.post("/orders").apiKey(" ").key("k-1").json("{}").send();

        assertProblem(reply, 400, "scope-unresolved");
        assertEquals(0, app.orderInvocations());
    }

    @Test
    void requestWithRepeatedScopeHeaderIsRefused(JettyApp app) throws Exception {
        Reply reply = app.raw("POST", "/orders")
                .header("X-Api-Key", "client-b")
                .header("Idempotency-Key", "k-1")
                .json("{}")
                .send();

        assertProblem(reply, 400, "scope-unresolved");
        assertEquals(0, app.orderInvocations());
    }

    @Test
    void uncoveredRequestNeedsNoScope(JettyApp app) throws Exception {
        Reply reply = app.get("/orders").noApiKey().key("k-1").send();

        assertExecuted(reply, 201);
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void defaultScopeIsTheAuthenticatedPrincipalAndAnonymousRequestsAreRefused() throws Exception {
        try (JettyApp app = JettyApp.builder().defaultScopeResolver().start()) {
            Reply anonymous = app.post("/orders").key("k-1").json("{}").send();

            assertProblem(anonymous, 400, "scope-unresolved");
            assertTrue(anonymous.jsonString("detail").contains("principal"), anonymous::toString);
            assertEquals(0, app.orderInvocations());
        }
    }

    @Test
    void defaultScopeKeepsKeysPerAuthenticatedUser() throws Exception {
        try (JettyApp app = JettyApp.builder().defaultScopeResolver().start()) {
            Reply alice = app.post("/orders").header("X-Test-User", "alice").key("k-1").json("{}").send();
            Reply bob = app.post("/orders").header("X-Test-User", "bob").key("k-1").json("{}").send();
            Reply aliceRetry = app.post("/orders").header("X-Test-User", "alice").key("k-1").json("{}").send();

            assertExecuted(alice, 201);
            assertExecuted(bob, 201);
            assertEquals(2, bob.jsonNumber("invocation"));
            assertReplayOf(alice, aliceRetry);
            assertEquals(2, app.orderInvocations());
        }
    }
}
