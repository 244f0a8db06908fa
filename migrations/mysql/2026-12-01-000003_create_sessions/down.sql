ALTER TABLE users DROP COLUMN login_failures_since, DROP COLUMN login_failures;
DROP TABLE session_revocations;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
