package dev.idempotency.kafka;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.testing.TestDatabase;
import java.util.HashMap;
import java.util.Map;

/** How a child JVM reaches the test's database: through its environment, so no password is on a command line. */
final class ChildDatabase {

    static final String URL = "CHILD_JDBC_URL";
    static final String USER = "CHILD_JDBC_USER";
    static final String PASSWORD = "CHILD_JDBC_PASSWORD";

    private ChildDatabase() {
    }

    /** The environment that points a child at {@code database}. */
    static Map<String, String> environment(TestDatabase database) {
        Map<String, String> environment = new HashMap<>();
        environment.put(URL, database.jdbcUrl());
        if (database.user() != null) {
            environment.put(USER, database.user());
        }
        if (database.password() != null) {
            environment.put(PASSWORD, database.password());
        }
        return environment;
    }

    /** In the child: a pool on the database its environment names. */
    static HikariDataSource open(int maxPoolSize) {
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl(System.getenv(URL));
        pool.setUsername(System.getenv(USER));
        pool.setPassword(System.getenv(PASSWORD));
        pool.setMaximumPoolSize(maxPoolSize);
        return pool;
    }
}
