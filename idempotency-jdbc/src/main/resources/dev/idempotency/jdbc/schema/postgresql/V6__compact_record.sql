-- A smaller record and a smaller primary key. The key of a record is now the first 16 bytes of SHA-256 over the
-- scope in UTF-8, a zero byte and the key (a uuid: PostgreSQL's fixed-width 16-byte type), in place of the scope
-- and key texts; the key's text stays, unindexed, to find a record by hand. A record is completed when it has a
-- status; its headers and body are one column (format byte 0 here: the headers' JSON, a zero byte, the body; the
-- library writes its compact format 1). Every record is kept, with its fencing token and times.
-- Stop every instance of the previous release before this runs: it renames the table it reads.
ALTER TABLE idempotency_record DROP CONSTRAINT idempotency_record_pk;
DROP INDEX idempotency_record_expires_at_idx;
ALTER TABLE idempotency_record RENAME TO idempotency_record_v5;

CREATE TABLE idempotency_record (
    expires_at          TIMESTAMPTZ  NOT NULL,
    created_at          TIMESTAMPTZ  NOT NULL,
    fencing_token       BIGINT       NOT NULL DEFAULT 0,
    lease_expires_at    TIMESTAMPTZ,
    fingerprint_version SMALLINT     NOT NULL,
    response_status     SMALLINT,
    key_digest          UUID         NOT NULL,
    fingerprint         BYTEA        NOT NULL,
    idempotency_key     VARCHAR(255) NOT NULL,
    response            BYTEA,
    CONSTRAINT idempotency_record_pk PRIMARY KEY (key_digest),
    CONSTRAINT idempotency_record_response_ck CHECK ((response_status IS NULL) = (response IS NULL))
);

INSERT INTO idempotency_record (expires_at, created_at, fencing_token, lease_expires_at, fingerprint_version,
        response_status, key_digest, fingerprint, idempotency_key, response)
SELECT expires_at, created_at, fencing_token, lease_expires_at, fingerprint_version,
       CASE WHEN state = 'COMPLETED' THEN response_status END,
       CAST(encode(substr(sha256(convert_to(scope, 'UTF8') || decode('00', 'hex')
               || convert_to(idempotency_key, 'UTF8')), 1, 16), 'hex') AS UUID),
       fingerprint, idempotency_key,
       CASE WHEN state = 'COMPLETED' THEN decode('00', 'hex') || convert_to(coalesce(response_headers, '[]'), 'UTF8')
               || decode('00', 'hex') || coalesce(response_body, decode('', 'hex')) END
FROM idempotency_record_v5;

DROP TABLE idempotency_record_v5;

-- The purge finds expired rows through this index, in small batches.
CREATE INDEX idempotency_record_expires_at_idx ON idempotency_record (expires_at);
