-- The demo's payments table on MariaDB and MySQL: the same table as ../standard/V2__create_payments.sql, in
-- the types of V1__create_posts.sql here. charge_key is unique, so a retry that runs the lease-mode handler
-- again after a crash finds the row it wrote before instead of writing a second one.
CREATE TABLE payments (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    charge_key VARCHAR(64)  NOT NULL,
    account_id VARCHAR(200) NOT NULL,
    amount     BIGINT       NOT NULL,
    charge_id  VARCHAR(200) NOT NULL,
    created_at DATETIME(6)  NOT NULL,
    CONSTRAINT payments_charge_key_unique UNIQUE (charge_key)
) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- GET /payments?account_id=... lists one account's payments in id order.
CREATE INDEX payments_account_id_idx ON payments (account_id, id);
