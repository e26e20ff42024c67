package dev.idempotency.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.util.ArrayList;
import java.util.List;

/** The connection pools one extension opened, so it can close every one of them at its end. */
final class Pools {

    private final List<HikariDataSource> open = new ArrayList<>();

    /** Opens a pool; fails at once if the database does not accept a connection. */
    synchronized HikariDataSource open(String poolName, String jdbcUrl, String user, String password,
            int maxPoolSize) {
        requireValidPoolSize(maxPoolSize);
        HikariConfig config = new HikariConfig();
        config.setPoolName(poolName);
        config.setJdbcUrl(jdbcUrl);
        if (user != null) {
            config.setUsername(user);
        }
        if (password != null) {
            config.setPassword(password);
        }
        config.setMaximumPoolSize(maxPoolSize);
        // Idle connections are opened on demand: many schemas may be alive at once in one test run, and
        // a pool kept full for each would exhaust the server's max_connections.
        config.setMinimumIdle(0);
        HikariDataSource dataSource = new HikariDataSource(config);
        open.add(dataSource);
        return dataSource;
    }

    /** Closes every pool, newest first; a pool that fails to close does not keep the others open. */
    synchronized void closeAll() {
        RuntimeException failure = null;
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        open.clear();
        if (failure != null) {
            throw failure;
        }
    }

    static void requireValidPoolSize(int maxPoolSize) {
        if (maxPoolSize < 1) {
            throw new IllegalArgumentException("maxPoolSize must be at least 1, not " + maxPoolSize);
        }
    }
}
