-- A smaller record and a smaller primary key. The key of a record is now the first 16 bytes of SHA-256 over the
-- scope in UTF-8, a zero byte and the key, in place of the scope and key texts; the key's text stays, unindexed,
-- to find a record by hand. A record is completed when it has a status; its headers and body are one column
-- (format byte 0 here: the headers' JSON, a zero byte, the body; the library writes its compact format 1).
-- Every record is kept, with its fencing token and times.
ALTER TABLE idempotency_record DROP CONSTRAINT idempotency_record_pk;
DROP INDEX idempotency_record_expires_at_idx;
ALTER TABLE idempotency_record RENAME TO idempotency_record_v5;

CREATE TABLE idempotency_record (
    key_digest          BINARY(16)               NOT NULL,
    idempotency_key     CHARACTER VARYING(255)   NOT NULL,
    fingerprint_version SMALLINT                 NOT NULL,
    fingerprint         BINARY VARYING(64)       NOT NULL,
    response_status     SMALLINT,
    response            BINARY VARYING,
    created_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at          TIMESTAMP WITH TIME ZONE NOT NULL,
    lease_expires_at    TIMESTAMP WITH TIME ZONE,
    fencing_token       BIGINT DEFAULT 0         NOT NULL,
    CONSTRAINT idempotency_record_pk PRIMARY KEY (key_digest),
    CONSTRAINT idempotency_record_response_ck CHECK ((response_status IS NULL) = (response IS NULL))
);

INSERT INTO idempotency_record (key_digest, idempotency_key, fingerprint_version, fingerprint, response_status,
        response, created_at, expires_at, lease_expires_at, fencing_token)
SELECT CAST(HASH('SHA-256', CAST(scope AS BINARY VARYING) || X'00' || CAST(idempotency_key AS BINARY VARYING))
               AS BINARY(16)),
       idempotency_key, fingerprint_version, fingerprint,
       CASE WHEN state = 'COMPLETED' THEN response_status END,
       CASE WHEN state = 'COMPLETED' THEN X'00' || CAST(COALESCE(response_headers, '[]') AS BINARY VARYING) || X'00'
               || COALESCE(response_body, X'') END,
       created_at, expires_at, lease_expires_at, fencing_token
FROM idempotency_record_v5;

DROP TABLE idempotency_record_v5;

-- The purge finds expired rows through this index, in small batches.
CREATE INDEX idempotency_record_expires_at_idx ON idempotency_record (expires_at);
