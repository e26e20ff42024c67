-- The transactional outbox (JdbcOutbox): messages inserted in the application's own transaction, then
-- published by relays. seq is the order of enqueueing. A relay claims a message in a short transaction by
-- giving it a fresh lease_token and moving available_at to the end of its lease, publishes it without
-- holding a transaction, and marks it in another short transaction only if its lease_token is still there.
-- A message is due when it is PENDING and available_at has passed: at once when enqueued, after a backoff
-- when an attempt failed, and when the lease of a relay that never marked it ended.
-- state: PENDING (due, in flight or backing off), DELIVERED (kept for a retention), DEAD (attempts
-- exhausted or rejected, with last_error; re-queued by hand).
-- id and message_key are compared byte for byte (VARBINARY), as on the other engines.
CREATE TABLE idempotency_outbox (
    seq             BIGINT          NOT NULL AUTO_INCREMENT,
    id              VARBINARY(1020) NOT NULL,
    destination     VARCHAR(2048)   NOT NULL,
    message_key     VARBINARY(1020),
    payload         LONGBLOB        NOT NULL,
    headers         MEDIUMTEXT      NOT NULL,
    created_at      DATETIME(6)     NOT NULL,
    state           VARCHAR(16)     NOT NULL,
    attempts        INTEGER         NOT NULL DEFAULT 0,
    available_at    DATETIME(6)     NOT NULL,
    lease_token     BIGINT,
    last_attempt_at DATETIME(6),
    last_error      MEDIUMTEXT,
    delivered_at    DATETIME(6),
    PRIMARY KEY (id),
    CONSTRAINT idempotency_outbox_seq_uk UNIQUE (seq),
    CONSTRAINT idempotency_outbox_state_ck CHECK (state IN ('PENDING', 'DELIVERED', 'DEAD'))
) ENGINE = InnoDB DEFAULT CHARACTER SET = utf8mb4;

-- Relays without ordering claim due messages, earliest due first.
CREATE INDEX idempotency_outbox_due_idx ON idempotency_outbox (state, available_at, seq);

-- Ordering per key: is an earlier message of the same key unfinished?
CREATE INDEX idempotency_outbox_key_idx ON idempotency_outbox (message_key, seq);

-- Delivered messages kept for a retention are purged by age, in small batches.
CREATE INDEX idempotency_outbox_delivered_idx ON idempotency_outbox (state, delivered_at);
