-- One row per (scope, key): the request that claimed the key and, once it completed, its outcome.
-- Applied by JdbcIdempotencyStore (Flyway history table: idempotency_schema_history); users who manage
-- their schema themselves can run this file as it is. MariaDB 10.6+ and MySQL 8.0.1+, InnoDB.
-- scope and idempotency_key are VARBINARY: compared byte for byte. A character column would compare them
-- under a collation, which by default ignores case, and pads with spaces: 'abc', 'ABC' and 'abc ' would be
-- one key. Times are DATETIME(6) in UTC (a TIMESTAMP ends in 2038). The primary keys of these tables have no
-- name: MariaDB and MySQL call every primary key PRIMARY, and warn at a name given to one.
CREATE TABLE idempotency_record (
    scope               VARBINARY(2048) NOT NULL,
    idempotency_key     VARBINARY(255)  NOT NULL,
    fingerprint_version SMALLINT        NOT NULL,
    fingerprint         VARBINARY(64)   NOT NULL,
    state               VARCHAR(16)     NOT NULL,
    response_status     SMALLINT,
    response_headers    MEDIUMTEXT,
    response_body       LONGBLOB,
    created_at          DATETIME(6)     NOT NULL,
    expires_at          DATETIME(6)     NOT NULL,
    PRIMARY KEY (scope, idempotency_key),
    CONSTRAINT idempotency_record_state_ck CHECK (state IN ('IN_PROGRESS', 'COMPLETED')),
    CONSTRAINT idempotency_record_outcome_ck CHECK (state <> 'COMPLETED' OR response_status IS NOT NULL)
) ENGINE = InnoDB DEFAULT CHARACTER SET = utf8mb4;

-- The purge finds expired rows through this index, in small batches.
CREATE INDEX idempotency_record_expires_at_idx ON idempotency_record (expires_at);
