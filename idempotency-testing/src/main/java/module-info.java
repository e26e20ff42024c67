/**
 * JUnit 5 extensions for real databases and the store contract suite. Testcontainers is optional, and
 * reached by reflection: it is used only to start PostgreSQL when no database is given and a Docker engine
 * answers.
 */
module dev.idempotency.testing {
    requires transitive dev.idempotency.core;
    requires transitive org.junit.jupiter.api;
    requires transitive java.sql;
    // The extensions hand out their pools as HikariDataSource.
    requires transitive com.zaxxer.hikari;
    requires java.logging;

    exports dev.idempotency.testing;
}
