-- Saved integrity reports (integrity.SaveRun), in the SDK's own schema so that the
-- checks, which leave the SDK's schemas alone, never report on it. Idempotent: a table
-- created on first use by an earlier SDK is adopted as it is.
CREATE SCHEMA IF NOT EXISTS lsos_integrity;
CREATE TABLE IF NOT EXISTS lsos_integrity.lsos_integrity_runs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL,
    policy_version  text        NOT NULL,
    errors          integer     NOT NULL,
    warnings        integer     NOT NULL,
    infos           integer     NOT NULL,
    incomplete      boolean     NOT NULL,
    report          jsonb       NOT NULL
);
CREATE INDEX IF NOT EXISTS lsos_integrity_runs_started_at_idx ON lsos_integrity.lsos_integrity_runs (started_at);
