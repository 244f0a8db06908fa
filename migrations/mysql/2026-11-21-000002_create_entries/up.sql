-- Per-account key/value entries. The key is VARBINARY so keys compare byte
-- for byte (`k`, `k ` and `K` are three keys); the primary key scopes them to
-- their owner and gives byte-ordered range scans for listing.
CREATE TABLE entries (
    user_id BIGINT NOT NULL,
    `key` VARBINARY(255) NOT NULL,
    `value` LONGTEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (user_id, `key`),
    CONSTRAINT entries_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
