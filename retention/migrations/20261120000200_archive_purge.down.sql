-- Drops the columns archive purges use to resume. The kind check keeps the archive
-- kinds: audit records of purges already made stay valid.
ALTER TABLE lsos_retention.deletions
    DROP COLUMN IF EXISTS source_object,
    DROP COLUMN IF EXISTS source_sha256,
    DROP COLUMN IF EXISTS result_sha256,
    DROP COLUMN IF EXISTS note;
