-- The record table as stored on PostgreSQL, named :tbl, with the expiry index of option :opt:
-- A b-tree on expires_at, B the same (the values are rounded up to whole seconds when written),
-- C BRIN (pages_per_range :ppr), D none.
SELECT :'tbl' || '_pk' AS pk \gset
SET client_min_messages = warning;
DROP TABLE IF EXISTS :tbl;
CREATE TABLE :tbl (
    expires_at          TIMESTAMPTZ NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    fencing_token       BIGINT      NOT NULL DEFAULT 0,
    lease_expires_at    TIMESTAMPTZ,
    fingerprint_version SMALLINT    NOT NULL,
    response_status     SMALLINT,
    key_digest          UUID        NOT NULL,
    fingerprint         BYTEA       NOT NULL,
    response            BYTEA,
    CONSTRAINT :pk PRIMARY KEY (key_digest)
);
SELECT CASE WHEN :'opt' IN ('A', 'B') THEN format('CREATE INDEX %I ON %I USING btree (expires_at)', :'tbl' || '_exp', :'tbl')
            WHEN :'opt' = 'C' THEN format('CREATE INDEX %I ON %I USING brin (expires_at) WITH (pages_per_range = %s)', :'tbl' || '_exp', :'tbl', :'ppr')
       END AS ddl \gset
\if :{?ddl}
:ddl;
\endif
