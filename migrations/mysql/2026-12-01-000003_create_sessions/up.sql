-- Sign-in sessions: one per successful token request. A session ends (its
-- row is deleted) on logout, on a password change (the others), with its
-- account, when a retired refresh token is used again, or after
-- REFRESH_TTL_SECS without a refresh (pruned in the background).
CREATE TABLE sessions (
    -- 128 random bits; shown to clients as 32 hex digits.
    id VARBINARY(16) NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    last_used_at DATETIME(6) NOT NULL,
    user_agent VARCHAR(255) NULL,
    CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    INDEX sessions_by_user (user_id, created_at),
    INDEX sessions_by_last_use (last_used_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Every refresh token a session was given, as its SHA-256 (never the token
-- itself). The current one has no retired_at; presenting a retired one
-- again ends the session.
CREATE TABLE refresh_tokens (
    token_hash BINARY(32) NOT NULL PRIMARY KEY,
    session_id VARBINARY(16) NOT NULL,
    issued_at DATETIME(6) NOT NULL,
    retired_at DATETIME(6) NULL,
    CONSTRAINT refresh_tokens_session_fk FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE,
    INDEX refresh_tokens_by_session (session_id, retired_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Sessions that ended, which every server polls so that their access
-- tokens stop working everywhere within a second. Kept for as long as an
-- access token lives; not tied to an account, which may be gone.
CREATE TABLE session_revocations (
    session_id VARBINARY(16) NOT NULL PRIMARY KEY,
    revoked_at DATETIME(6) NOT NULL,
    INDEX session_revocations_by_time (revoked_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Failed token requests since the last success (at most 100 in 24 h).
ALTER TABLE users
    ADD COLUMN login_failures INT NOT NULL DEFAULT 0,
    ADD COLUMN login_failures_since DATETIME(6) NULL;
