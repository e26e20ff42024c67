package dev.idempotency.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.store.StoreException;
import dev.idempotency.store.StoreUnavailableException;
import dev.idempotency.testing.H2DatabaseExtension;
import java.sql.Connection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class JdbcIdempotencyStoreTest {

    @RegisterExtension
    final H2DatabaseExtension db = H2DatabaseExtension.create();

    @Test
    void builderNeedsExactlyOneOfDataSourceAndUrl() {
        IdempotencyConfigException neither = assertThrows(IdempotencyConfigException.class,
                () -> JdbcIdempotencyStore.builder().build());
        assertTrue(neither.getMessage().contains("dataSource or jdbcUrl"), neither.getMessage());
        assertThrows(IdempotencyConfigException.class, () -> JdbcIdempotencyStore.builder()
                .dataSource(db.dataSource()).jdbcUrl(db.jdbcUrl()).build());
    }

    @Test
    void rejectsAUrlThatIsNotJdbc() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> JdbcIdempotencyStore.builder().jdbcUrl("postgres://localhost/app"));
        assertTrue(e.getMessage().contains("jdbcUrl") && e.getMessage().contains("postgres://localhost/app"),
                e.getMessage());
    }

    @Test
    void rejectsAPoolSizeOutOfRange() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> JdbcIdempotencyStore.builder().maximumPoolSize(0));
        assertTrue(e.getMessage().contains("maximumPoolSize"), e.getMessage());
    }

    @Test
    void storeBuiltFromAUrlOwnsAndClosesItsPool() throws Exception {
        JdbcIdempotencyStore store = JdbcIdempotencyStore.builder().jdbcUrl(db.jdbcUrl()).username(db.user())
                .password(db.password()).maximumPoolSize(2).build();
        assertEquals(DatabaseEngine.H2, store.engine());
        try (Connection c = store.transactionalDataSource().getConnection()) {
            assertTrue(c.isValid(1));
        }
        store.close();
        assertThrows(java.sql.SQLException.class, () -> store.transactionalDataSource().getConnection(),
                "the owned pool is closed");
    }

    @Test
    void storeOnAGivenPoolLeavesItOpen() throws Exception {
        JdbcIdempotencyStore.create(db.dataSource()).close();
        try (Connection c = db.dataSource().getConnection()) {
            assertTrue(c.isValid(1));
        }
    }

    @Test
    void unreachableDatabaseFailsAtStartUpNamingTheUrl() {
        String url = "jdbc:postgresql://127.0.0.1:1/nothing?connectTimeout=2";
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
                () -> JdbcIdempotencyStore.builder().jdbcUrl(url).username("nobody").build());
        assertTrue(e.getMessage().contains(url), e.getMessage());
    }

    @Test
    void h2FileDatabaseThatDelaysItsWritesIsWarnedAbout(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(
                "dev.idempotency.jdbc.internal.DatabaseProbe");
        java.util.List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                if (record.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                    warnings.add(record.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(capture);
        try {
            JdbcIdempotencyStore.builder().jdbcUrl("jdbc:h2:file:" + dir.resolve("delayed")).username("sa")
                    .password("").build().close();
            assertEquals(1, warnings.size(), "a file database with the default WRITE_DELAY: " + warnings);
            assertTrue(warnings.get(0).contains("WRITE_DELAY=0"), warnings.get(0));
            warnings.clear();
            JdbcIdempotencyStore.builder().jdbcUrl("jdbc:h2:file:" + dir.resolve("durable") + ";WRITE_DELAY=0")
                    .username("sa").password("").build().close();
            assertEquals(java.util.List.of(), warnings, "no warning with WRITE_DELAY=0");
        } finally {
            logger.removeHandler(capture);
        }
    }

    @Test
    void unsupportedDatabaseIsNamed() {
        StoreException e = assertThrows(StoreException.class, () -> DatabaseEngine.fromProductName("MariaDB"));
        assertTrue(e.getMessage().contains("MariaDB") && e.getMessage().contains("PostgreSQL and H2"), e.getMessage());
    }
}
