-- One row per (scope, key): the request that claimed the key and, once it completed, its outcome.
-- Applied by JdbcIdempotencyStore (Flyway history table: idempotency_schema_history); users who manage
-- their schema themselves can run this file as it is.
CREATE TABLE idempotency_record (
    scope               CHARACTER VARYING(512) NOT NULL,
    idempotency_key     CHARACTER VARYING(255) NOT NULL,
    fingerprint_version SMALLINT               NOT NULL,
    fingerprint         BINARY VARYING(64)     NOT NULL,
    state               CHARACTER VARYING(16)  NOT NULL,
    response_status     SMALLINT,
    response_headers    CHARACTER VARYING,
    response_body       BINARY VARYING,
    created_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT idempotency_record_pk PRIMARY KEY (scope, idempotency_key),
    CONSTRAINT idempotency_record_state_ck CHECK (state IN ('IN_PROGRESS', 'COMPLETED')),
    CONSTRAINT idempotency_record_outcome_ck CHECK (state <> 'COMPLETED' OR response_status IS NOT NULL)
);

-- The purge finds expired rows through this index, in small batches.
CREATE INDEX idempotency_record_expires_at_idx ON idempotency_record (expires_at);
