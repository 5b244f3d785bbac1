-- The manifest's exact bytes (as written to the store) and their SHA-256: Restore,
-- Verify and RebuildCatalog refuse a manifest that does not match. Rows recorded before
-- this version keep NULL in both (their manifest is then read from the jsonb column,
-- and Restore warns that no hash covers it).
ALTER TABLE lsos_archive.archives ADD COLUMN IF NOT EXISTS manifest_json text;
ALTER TABLE lsos_archive.archives ADD COLUMN IF NOT EXISTS manifest_sha256 text;
