-- Forgets the manifests' recorded bytes and hashes; the jsonb copy stays.
ALTER TABLE lsos_archive.archives DROP COLUMN IF EXISTS manifest_sha256;
ALTER TABLE lsos_archive.archives DROP COLUMN IF EXISTS manifest_json;
