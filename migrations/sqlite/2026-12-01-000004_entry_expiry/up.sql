-- Entries may expire (contract section 8): from `expires_at` on, an entry is
-- as if absent; a background task deletes such rows in bounded batches,
-- oldest first, through the index.
ALTER TABLE entries ADD COLUMN expires_at TIMESTAMP NULL;
CREATE INDEX entries_expires_at ON entries (expires_at);
