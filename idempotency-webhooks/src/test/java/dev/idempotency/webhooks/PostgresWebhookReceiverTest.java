package dev.idempotency.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.testing.CapturedLog;
import dev.idempotency.testing.PostgresDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresWebhookReceiverTest extends WebhookReceiverScenarios {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }

    @BeforeAll
    static void createDeferredConstraint() throws Exception {
        try (Connection connection = DB.dataSource().getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE webhook_deferred_check (k INT NOT NULL, "
                    + "CONSTRAINT webhook_deferred_check_uq UNIQUE (k) DEFERRABLE INITIALLY DEFERRED)");
        }
    }

    @Test
    void aFailedCommitIsAnsweredWithAProblemAndNeverWithTheHandlersSuccess() throws Exception {
        String id = newId();
        byte[] body = event(id);
        HttpResponse<String> failed;
        try (CapturedLog log = CapturedLog.of(WebhookReceiverFilter.class)) {
            failed = app.deliver("/webhooks/orders", sign(id, body), body, "X-Test-Deferred-Violation", "1");
            List<CapturedLog.Entry> errors = log.entries(System.Logger.Level.WARNING);
            assertEquals(1, errors.size(), log.toString());
            assertEquals(System.Logger.Level.ERROR, errors.get(0).level(), log.toString());
            assertTrue(errors.get(0).message().contains(id) && errors.get(0).message().contains("rolled back"),
                    log.toString());
        }
        assertEquals(500, failed.statusCode(), failed.body());
        assertTrue(failed.body().contains("urn:idempotency:problem:webhook-inbox-failure"), failed.body());
        assertTrue(!failed.body().contains("received"), "nothing of the handler's 200 leaks out: " + failed.body());
        assertEquals(1, app.handlerRuns.get(), "the handler ran and answered 200 before the commit failed");
        assertEquals(0, app.deliveries(id));
        assertEquals(0, app.markers(id));

        HttpResponse<String> redelivered = app.deliver("/webhooks/orders", sign(id, body), body);
        assertEquals(200, redelivered.statusCode(), redelivered.body());
        assertEquals(1, app.deliveries(id));
    }
}
