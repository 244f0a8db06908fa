-- Per-account key/value entries. The key is a BLOB so keys compare byte for
-- byte; the primary key scopes them to their owner and orders listings.
CREATE TABLE entries (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    "key" BLOB NOT NULL,
    "value" TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, "key")
) WITHOUT ROWID;
