package dev.idempotency.examples;

import dev.idempotency.jdbc.DatabaseEngine;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * What the demo's own SQL does differently per database engine: where its migrations are, and how a point in
 * time goes into and comes out of its tables. Everything else in its SQL runs unchanged on all four engines.
 */
enum DatabaseFlavour {

    /** PostgreSQL and H2: SQL-standard identity columns and {@code TIMESTAMP WITH TIME ZONE}. */
    STANDARD("classpath:dev/idempotency/examples/db/standard") {
        @Override
        void setInstant(PreparedStatement statement, int index, Instant instant) throws SQLException {
            statement.setObject(index, OffsetDateTime.ofInstant(instant, ZoneOffset.UTC));
        }

        @Override
        Instant getInstant(ResultSet row, String column) throws SQLException {
            return row.getObject(column, OffsetDateTime.class).toInstant();
        }
    },

    /**
     * MariaDB and MySQL: {@code AUTO_INCREMENT}, and {@code DATETIME(6)} columns holding UTC, passed as text.
     * Not as an {@link OffsetDateTime}, which both drivers shift into the JVM's time zone, nor as a
     * {@link LocalDateTime}, whose microseconds MySQL Connector/J drops when it talks to MariaDB (it takes the
     * server for a MySQL 5.5): the server parses the text itself, whatever the driver and the time zones.
     */
    MYSQL("classpath:dev/idempotency/examples/db/mysql") {
        private static final DateTimeFormatter UTC_TEXT = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS");

        @Override
        void setInstant(PreparedStatement statement, int index, Instant instant) throws SQLException {
            statement.setString(index, UTC_TEXT.format(LocalDateTime.ofInstant(instant, ZoneOffset.UTC)));
        }

        @Override
        Instant getInstant(ResultSet row, String column) throws SQLException {
            return row.getObject(column, LocalDateTime.class).toInstant(ZoneOffset.UTC);
        }
    };

    private final String migrations;

    DatabaseFlavour(String migrations) {
        this.migrations = migrations;
    }

    /** The flavour of the engine the store found. */
    static DatabaseFlavour of(DatabaseEngine engine) {
        return switch (engine) {
            case POSTGRESQL, H2 -> STANDARD;
            case MARIADB, MYSQL -> MYSQL;
        };
    }

    /** The Flyway location of the demo's migrations on this flavour's engines. */
    String migrations() {
        return migrations;
    }

    /** Sets parameter {@code index} to {@code instant} (microseconds at most) for a column of the demo's tables. */
    abstract void setInstant(PreparedStatement statement, int index, Instant instant) throws SQLException;

    /** The point in time in {@code column} of the current row. */
    abstract Instant getInstant(ResultSet row, String column) throws SQLException;
}
