-- Sign-in sessions: one per successful token request. A session ends (its
-- row is deleted) on logout, on a password change (the others), with its
-- account, when a retired refresh token is used again, or after
-- REFRESH_TTL_SECS without a refresh (pruned in the background).
CREATE TABLE sessions (
    id BLOB NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    user_agent TEXT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id, created_at);
CREATE INDEX sessions_by_last_use ON sessions (last_used_at);

-- Every refresh token a session was given, as its SHA-256; the current one
-- has no retired_at.
CREATE TABLE refresh_tokens (
    token_hash BLOB NOT NULL PRIMARY KEY,
    session_id BLOB NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    issued_at TIMESTAMP NOT NULL,
    retired_at TIMESTAMP NULL
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id, retired_at);

-- Sessions that ended, polled by every server; kept as long as an access
-- token lives.
CREATE TABLE session_revocations (
    session_id BLOB NOT NULL PRIMARY KEY,
    revoked_at TIMESTAMP NOT NULL
) WITHOUT ROWID;
CREATE INDEX session_revocations_by_time ON session_revocations (revoked_at);

-- Failed token requests since the last success (at most 100 in 24 h).
ALTER TABLE users ADD COLUMN login_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN login_failures_since TIMESTAMP NULL;
