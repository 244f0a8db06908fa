DROP INDEX entries_expires_at;
ALTER TABLE entries DROP COLUMN expires_at;
