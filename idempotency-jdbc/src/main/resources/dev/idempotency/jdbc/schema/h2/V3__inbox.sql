-- Receiver-side deduplication (JdbcInbox): one row per message a consumer applied, inserted in the same
-- transaction as the message's effect, so the marker and the effect commit together or not at all. The
-- primary key makes a concurrent duplicate wait for the first transaction and then find the marker.
-- A marker is kept until expires_at (the time it was applied plus the inbox's retention), then purged.
CREATE TABLE idempotency_inbox (
    consumer     CHARACTER VARYING(200) NOT NULL,
    message_id   CHARACTER VARYING(255) NOT NULL,
    processed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT idempotency_inbox_pk PRIMARY KEY (consumer, message_id)
);

-- The purge finds expired markers through this index, in small batches.
CREATE INDEX idempotency_inbox_expires_at_idx ON idempotency_inbox (expires_at);
