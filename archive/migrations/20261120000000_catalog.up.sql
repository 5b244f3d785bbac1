-- The archive catalog: one row per archived partition (its lifecycle state and
-- manifest) and an append-only event log of every step. Idempotent: a catalog created
-- before the SDK's schemas were installed by the migrate engine is adopted as it is.
CREATE SCHEMA IF NOT EXISTS lsos_archive;
CREATE TABLE IF NOT EXISTS lsos_archive.archives (
    id             text PRIMARY KEY,
    parent         text NOT NULL,
    partition      text NOT NULL,
    range_from     timestamptz,
    range_to       timestamptz,
    bounds         text NOT NULL,
    rows           bigint,
    bytes          bigint,
    sha256         text,
    object         text NOT NULL,
    manifest_object text NOT NULL,
    tenants        text[] NOT NULL DEFAULT '{}',
    state          text NOT NULL CHECK (state IN ('pending', 'uploaded', 'verified', 'recorded', 'detached', 'dropped', 'kept')),
    manifest       jsonb NOT NULL,
    policy_version text NOT NULL DEFAULT '',
    archived_by    text NOT NULL,
    archived_at    timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS archives_parent_range ON lsos_archive.archives (parent, range_from, range_to);
CREATE INDEX IF NOT EXISTS archives_partition ON lsos_archive.archives (partition);
CREATE TABLE IF NOT EXISTS lsos_archive.events (
    seq        bigserial PRIMARY KEY,
    archive_id text NOT NULL,
    partition  text NOT NULL,
    step       text NOT NULL,
    detail     text NOT NULL DEFAULT '',
    actor      text NOT NULL,
    at         timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS events_archive ON lsos_archive.events (archive_id, seq);
