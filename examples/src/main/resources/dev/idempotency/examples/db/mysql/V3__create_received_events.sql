-- The demo's webhook receipts on MariaDB and MySQL: the same table as ../standard/V3__create_received_events.sql,
-- in the types of V1__create_posts.sql here. The payload is MEDIUMTEXT: a VARCHAR without a length does not
-- exist here, and a post's escaped JSON can pass TEXT's 64 KB. Deliberately no unique constraint on webhook_id:
-- the inbox alone keeps the receipts one per event.
CREATE TABLE received_events (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    webhook_id  VARCHAR(255) NOT NULL,
    event_type  VARCHAR(100) NOT NULL,
    post_id     BIGINT       NOT NULL,
    account_id  VARCHAR(200) NOT NULL,
    payload     MEDIUMTEXT   NOT NULL,
    received_at DATETIME(6)  NOT NULL
) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- GET /webhooks/received?post_id=... lists one post's receipts in the order they were recorded.
CREATE INDEX received_events_post_id_idx ON received_events (post_id, id);
