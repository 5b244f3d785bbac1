-- Audit records of archive purges: package archive's PurgeTenant removes a purged
-- tenant's rows from partition archives exported before the hard delete, one record per
-- archive (kind 'archive-purge'), or records why the purge was skipped
-- ('archive-purge-skipped'). The kind check is rebuilt from the kinds it already allows,
-- so a migration that added kinds before this one keeps them. Idempotent.
DO $$
DECLARE
    def   text;
    kinds text[];
BEGIN
    SELECT pg_get_constraintdef(oid) INTO def FROM pg_constraint
    WHERE conrelid = 'lsos_retention.deletions'::regclass AND contype = 'c' AND conname = 'deletions_kind_check';
    kinds := ARRAY(SELECT DISTINCT k FROM (
        SELECT m[1] AS k FROM regexp_matches(coalesce(def, ''), '''([^'']+)''', 'g') m
        UNION SELECT unnest(ARRAY['hard-delete', 'sweep', 'archive-purge', 'archive-purge-skipped'])) s ORDER BY k);
    ALTER TABLE lsos_retention.deletions DROP CONSTRAINT IF EXISTS deletions_kind_check;
    -- An IN list (not an array literal) so that pg_get_constraintdef quotes each kind
    -- and the next migration can read them back the same way.
    EXECUTE format('ALTER TABLE lsos_retention.deletions ADD CONSTRAINT deletions_kind_check CHECK (kind IN (%s))',
        (SELECT string_agg(quote_literal(k), ', ' ORDER BY k) FROM unnest(kinds) k));
END $$;

-- The object an archive purge replaces and the checksums before and after: a re-run
-- after a crash reads them to finish (delete the old object) rather than start over.
ALTER TABLE lsos_retention.deletions
    ADD COLUMN IF NOT EXISTS source_object text,
    ADD COLUMN IF NOT EXISTS source_sha256 text,
    ADD COLUMN IF NOT EXISTS result_sha256 text,
    ADD COLUMN IF NOT EXISTS note          text;
