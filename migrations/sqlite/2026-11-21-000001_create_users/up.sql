-- Accounts. username_key and email_key hold the lower-cased forms; their
-- unique indexes make uniqueness case-insensitive (BLOBs compare bytes).
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    username_key BLOB NOT NULL,
    email TEXT NOT NULL,
    email_key BLOB NOT NULL,
    password_hash TEXT NOT NULL,
    full_name TEXT NOT NULL,
    age SMALLINT NOT NULL,
    gender TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT users_username_key UNIQUE (username_key),
    CONSTRAINT users_email_key UNIQUE (email_key)
);
