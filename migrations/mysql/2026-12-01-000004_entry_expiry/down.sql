DROP INDEX entries_expires_at ON entries;
ALTER TABLE entries DROP COLUMN expires_at;
