-- A smaller record and a smaller primary key. The key of a record is now the first 16 bytes of SHA-256 over the
-- scope, a zero byte and the key, in place of the scope and key bytes; the key stays, unindexed, to find a record
-- by hand. A record is completed when it has a status; its headers and body are one column (format byte 0 here:
-- the headers' JSON, a zero byte, the body; the library writes its compact format 1). Every record is kept, with
-- its fencing token and times. The old table is renamed and kept until the copy is done, in one RENAME TABLE.
-- Stop every instance of the previous release before this runs.
CREATE TABLE idempotency_record_v6 (
    key_digest          BINARY(16)      NOT NULL,
    idempotency_key     VARBINARY(255)  NOT NULL,
    fingerprint_version SMALLINT        NOT NULL,
    fingerprint         VARBINARY(64)   NOT NULL,
    response_status     SMALLINT,
    response            LONGBLOB,
    created_at          DATETIME(6)     NOT NULL,
    expires_at          DATETIME(6)     NOT NULL,
    lease_expires_at    DATETIME(6),
    fencing_token       BIGINT          NOT NULL DEFAULT 0,
    PRIMARY KEY (key_digest),
    CONSTRAINT idempotency_record_response_ck CHECK ((response_status IS NULL) = (response IS NULL))
) ENGINE = InnoDB DEFAULT CHARACTER SET = utf8mb4;

INSERT INTO idempotency_record_v6 (key_digest, idempotency_key, fingerprint_version, fingerprint, response_status,
        response, created_at, expires_at, lease_expires_at, fencing_token)
SELECT UNHEX(LEFT(SHA2(CONCAT(scope, 0x00, idempotency_key), 256), 32)),
       idempotency_key, fingerprint_version, fingerprint,
       CASE WHEN state = 'COMPLETED' THEN response_status END,
       CASE WHEN state = 'COMPLETED' THEN CONCAT(0x00, CAST(COALESCE(response_headers, '[]') AS BINARY), 0x00,
               COALESCE(response_body, x'')) END,
       created_at, expires_at, lease_expires_at, fencing_token
FROM idempotency_record;

CREATE INDEX idempotency_record_expires_at_idx ON idempotency_record_v6 (expires_at);

RENAME TABLE idempotency_record TO idempotency_record_v5, idempotency_record_v6 TO idempotency_record;
DROP TABLE idempotency_record_v5;
