package dev.idempotency.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.testing.PostgresDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresTransactionalFilterTest extends TransactionalFilterScenarios {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }

    @Test
    void failedCommitAnswersAProblemAndNeverTheSuccess() throws Exception {
        start();
        String key = unique("key");
        String item = unique("item");
        HttpResponse<String> failed = Http.post(app.uri("/orders"), key, "client-a", order(item),
                "X-Test-Deferred-Violation", "1");
        assertEquals(500, failed.statusCode(), failed.body());
        assertTrue(failed.body().contains("store-failure"), failed.body());
        assertTrue(failed.headers().firstValue("Location").isEmpty(), "nothing of the handler's 201 leaks out");
        assertEquals(0, app.orders(item));

        HttpResponse<String> retry = Http.post(app.uri("/orders"), key, "client-a", order(item));
        assertEquals(201, retry.statusCode(), "the failed commit freed the key");
        assertEquals(1, app.orders(item));
    }

    @Test
    void handlerThatIgnoresAFailedStatementCannotCommitABrokenTransaction() throws Exception {
        start();
        String key = unique("key");
        String item = unique("item");
        HttpResponse<String> failed = Http.post(app.uri("/orders"), key, "client-a", order(item),
                "X-Test-Swallow-Sql-Error", "1");
        assertEquals(500, failed.statusCode(), failed.body());
        assertEquals(0, app.orders(item));
        assertEquals(0, app.records(key));
    }

    @Test
    void connectionKilledMidRequestAnswers503AndTheRetryTakesEffectOnce() throws Exception {
        start();
        String key = unique("key");
        String item = unique("item");
        CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> {
            try {
                return Http.post(app.uri("/orders"), key, "client-a", order(item),
                        "X-Test-Report-Pid", item, "X-Test-Sleep-Ms", "1500");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Integer pid = null;
        for (int i = 0; i < 100 && pid == null; i++) {
            Thread.sleep(20);
            pid = app.backendPids.get(item);
        }
        assertNotNull(pid, "the handler reported its backend");
        try (Connection c = DB.dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
            ps.setInt(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertTrue(rs.getBoolean(1), "backend terminated");
            }
        }
        HttpResponse<String> cut = inFlight.get();
        assertEquals(503, cut.statusCode(), cut.body());
        assertTrue(cut.headers().firstValue("Retry-After").isPresent());
        assertTrue(cut.body().contains("store-unavailable"), cut.body());
        assertEquals(0, app.orders(item));

        HttpResponse<String> retry = Http.post(app.uri("/orders"), key, "client-a", order(item));
        assertEquals(201, retry.statusCode(), retry.body());
        assertEquals(1, app.orders(item));
    }
}
