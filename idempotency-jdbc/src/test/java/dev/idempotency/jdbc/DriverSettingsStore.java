package dev.idempotency.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.testing.TestDatabase;

/**
 * A store on a pool of its own whose JDBC URL adds driver settings. On PostgreSQL a claim takes its lock
 * and reads its record as two statements in one flight, and the outcome sends its insert and the
 * {@code COMMIT} as one; settings that wrap or rewrite statements must not change what either does.
 */
record DriverSettingsStore(HikariDataSource pool, JdbcIdempotencyStore store) implements AutoCloseable {

    /** @param settings the driver's URL parameters, {@code name=value&name=value} */
    static DriverSettingsStore open(TestDatabase database, String settings) {
        HikariConfig config = new HikariConfig();
        String url = database.jdbcUrl();
        config.setJdbcUrl(url + (url.contains("?") ? "&" : "?") + settings);
        config.setUsername(database.user());
        config.setPassword(database.password());
        config.setMaximumPoolSize(20);
        HikariDataSource pool = new HikariDataSource(config);
        return new DriverSettingsStore(pool, JdbcIdempotencyStore.create(pool));
    }

    @Override
    public void close() {
        store.close();
        pool.close();
    }
}
