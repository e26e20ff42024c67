package dev.idempotency.jdbc;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.idempotency.ClaimStrategy;
import dev.idempotency.Idempotency;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.adapter.HandlerResponse;
import dev.idempotency.adapter.Outcome;
import dev.idempotency.adapter.RequestHandler;
import dev.idempotency.testing.PostgresDatabaseExtension;
import dev.idempotency.testing.TestRequests;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A handler whose statements fail because the request's own connection was lost (here: its PostgreSQL backend
 * terminated under it, as a database restart or a cut connection would) is answered 503 with {@code Retry-After},
 * the store being unavailable, not as a failure of the application; nothing of it is committed and the retry
 * runs. With either claim: the optimistic one in particular meets a lost connection first in the handler, as it
 * sends nothing before it.
 */
class HandlerLosingItsConnectionTest {

    @RegisterExtension
    final PostgresDatabaseExtension db = PostgresDatabaseExtension.create();

    private JdbcIdempotencyStore store;

    @BeforeEach
    void createTable() throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE orders (item VARCHAR(100) NOT NULL)");
        }
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    /** Inserts the order, then, the first time, loses its connection before the response. */
    private RequestHandler orders(boolean loseConnection) {
        return body -> {
            try (Connection c = store.transactionalDataSource().getConnection()) {
                try (PreparedStatement insert = c.prepareStatement("INSERT INTO orders (item) VALUES (?)")) {
                    insert.setString(1, new String(body, UTF_8));
                    insert.executeUpdate();
                }
                if (loseConnection) {
                    try (Statement s = c.createStatement()) {
                        s.execute("SELECT pg_terminate_backend(pg_backend_pid())");
                    }
                }
            }
            return HandlerResponse.of(201, List.of(), "{}".getBytes(UTF_8));
        };
    }

    private long orderCount() throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM orders")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @ParameterizedTest
    @EnumSource(ClaimStrategy.class)
    void isAnswered503AndTheRetryRuns(ClaimStrategy claim) throws Exception {
        store = JdbcIdempotencyStore.builder().dataSource(db.newDataSource(4)).purgeInterval(Duration.ZERO).build();
        Idempotency engine = Idempotency.create(store, IdempotencyConfig.custom().claim(claim).build());

        Outcome.Rejected lost = assertInstanceOf(Outcome.Rejected.class,
                engine.process(TestRequests.post("client-a", "k-1", "\"book\""), orders(true)));
        assertEquals(503, lost.problem().status(), lost.problem().toString());
        assertEquals(0, orderCount(), "the insert made before the connection was lost is not committed");

        assertInstanceOf(Outcome.Executed.class,
                engine.process(TestRequests.post("client-a", "k-1", "\"book\""), orders(false)), "the retry runs");
        assertEquals(1, orderCount());
    }
}
