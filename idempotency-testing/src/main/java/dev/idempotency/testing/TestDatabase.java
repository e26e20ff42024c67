package dev.idempotency.testing;

import javax.sql.DataSource;

/**
 * A database that a JUnit extension created for a test class or a single test, so tests can be written
 * once and run on {@link PostgresDatabaseExtension PostgreSQL} and {@link H2DatabaseExtension H2}.
 *
 * <p>The accessors may be used from the moment the extension started (in {@code @BeforeAll} methods for
 * an extension in a static field, in {@code @BeforeEach} methods for one in an instance field) until it
 * ends; before that they throw {@link IllegalStateException}.
 */
public interface TestDatabase {

    /**
     * The shared connection pool of this database, closed by the extension at its end.
     *
     * @throws IllegalStateException if the extension has not started or has ended
     */
    DataSource dataSource();

    /**
     * A JDBC URL that connects to this database (for PostgreSQL, with this database's schema as the
     * current schema).
     *
     * @throws IllegalStateException if the extension has not started or has ended
     */
    String jdbcUrl();

    /**
     * The user to connect as, or {@code null} when none is configured and the driver's default applies.
     *
     * @throws IllegalStateException if the extension has not started or has ended
     */
    String user();

    /**
     * The password to connect with, or {@code null} when none is configured.
     *
     * @throws IllegalStateException if the extension has not started or has ended
     */
    String password();

    /**
     * A new connection pool of at most {@code maxPoolSize} connections to this database, for a test that
     * needs a pool of its own (to exhaust it, say). The extension closes it at its end.
     *
     * @throws IllegalArgumentException if {@code maxPoolSize} is less than 1
     * @throws IllegalStateException if the extension has not started or has ended
     */
    DataSource newDataSource(int maxPoolSize);
}
