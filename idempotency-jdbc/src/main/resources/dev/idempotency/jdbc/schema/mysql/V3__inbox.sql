-- Receiver-side deduplication (JdbcInbox): one row per message a consumer applied, inserted in the same
-- transaction as the message's effect, so the marker and the effect commit together or not at all. The
-- primary key makes a concurrent duplicate wait for the first transaction and then find the marker.
-- A marker is kept until expires_at (the time it was applied plus the inbox's retention), then purged.
-- consumer and message_id are compared byte for byte (VARBINARY), as on the other engines.
CREATE TABLE idempotency_inbox (
    consumer     VARBINARY(800)  NOT NULL,
    message_id   VARBINARY(1020) NOT NULL,
    processed_at DATETIME(6)     NOT NULL,
    expires_at   DATETIME(6)     NOT NULL,
    PRIMARY KEY (consumer, message_id)
) ENGINE = InnoDB DEFAULT CHARACTER SET = utf8mb4;

-- The purge finds expired markers through this index, in small batches.
CREATE INDEX idempotency_inbox_expires_at_idx ON idempotency_inbox (expires_at);
