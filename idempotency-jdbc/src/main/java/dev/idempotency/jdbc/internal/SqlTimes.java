package dev.idempotency.jdbc.internal;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * How an engine's statements pass and read points in time: as {@code TIMESTAMP WITH TIME ZONE} (PostgreSQL, H2),
 * or as a {@code DATETIME(6)} holding UTC (MariaDB, MySQL), which has no time zone of its own.
 */
public enum SqlTimes {

    /** {@code TIMESTAMP WITH TIME ZONE}, passed as an {@link OffsetDateTime} in UTC. */
    WITH_TIME_ZONE {
        @Override
        public Object parameter(Instant instant) {
            return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
        }

        @Override
        public Instant read(ResultSet rs, int column) throws SQLException {
            OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
            return value == null ? null : value.toInstant();
        }
    },

    /**
     * {@code DATETIME(6)} in UTC, passed as text. Both MariaDB drivers shift an {@link OffsetDateTime} into the
     * JVM's time zone before sending it, and MySQL Connector/J talking to MariaDB drops the microseconds of a
     * {@link LocalDateTime} (it takes the server for a MySQL 5.5, which had none); the server parses text
     * itself, the same through every driver and in every time zone.
     */
    UTC_DATETIME {
        private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS");

        @Override
        public Object parameter(Instant instant) {
            return FORMAT.format(LocalDateTime.ofInstant(instant, ZoneOffset.UTC));
        }

        @Override
        public Instant read(ResultSet rs, int column) throws SQLException {
            LocalDateTime value = rs.getObject(column, LocalDateTime.class);
            return value == null ? null : value.toInstant(ZoneOffset.UTC);
        }
    };

    /** {@code instant} as a statement parameter of this kind of column. */
    public abstract Object parameter(Instant instant);

    /** The point in time in {@code column} of the current row, or {@code null}. */
    public abstract Instant read(ResultSet rs, int column) throws SQLException;
}
