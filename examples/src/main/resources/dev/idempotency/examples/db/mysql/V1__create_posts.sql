-- The demo's posts table on MariaDB and MySQL: the same table as ../standard/V1__create_posts.sql, in the
-- types these engines have. AUTO_INCREMENT, their only identity column. DATETIME(6) holding UTC: these engines
-- have no timestamp with a time zone, and TIMESTAMP ends in 2038. utf8mb4 stores every character, and its
-- binary collation compares text as PostgreSQL and H2 do, so account 'a' never lists account 'A''s posts.
CREATE TABLE posts (
    id         BIGINT         NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id VARCHAR(200)   NOT NULL,
    content    VARCHAR(10000) NOT NULL,
    created_at DATETIME(6)    NOT NULL
) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- GET /posts?account_id=... lists one account's posts in id order.
CREATE INDEX posts_account_id_idx ON posts (account_id, id);
