-- Accounts. username_key and email_key hold the lower-cased forms: their
-- binary unique indexes make uniqueness case-insensitive and nothing else
-- (a collation would also fold accents, and `a` would clash with `á`).
CREATE TABLE users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username VARCHAR(32) NOT NULL,
    username_key VARBINARY(32) NOT NULL,
    email VARCHAR(254) NOT NULL,
    email_key VARBINARY(1024) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    full_name VARCHAR(255) NOT NULL,
    age SMALLINT NOT NULL,
    gender VARCHAR(64) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    CONSTRAINT users_username_key UNIQUE (username_key),
    CONSTRAINT users_email_key UNIQUE (email_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
