-- Bookkeeping of package retention: legal holds, tenant offboarding state and the audit
-- trail of every controlled delete (policy §6, §8). Idempotent: an install made before
-- the SDK's schemas moved to the migrate engine (lsos_retention.schema_migrations,
-- version 0001) is baselined from its rows instead of running it again.
CREATE SCHEMA IF NOT EXISTS lsos_retention;

CREATE TABLE IF NOT EXISTS lsos_retention.legal_holds (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    text,
    table_name   text,
    reason       text        NOT NULL CHECK (reason <> ''),
    created_by   text        NOT NULL CHECK (created_by <> ''),
    created_at   timestamptz NOT NULL DEFAULT now(),
    active_from  timestamptz NOT NULL,
    active_until timestamptz,
    released_at  timestamptz,
    released_by  text,
    CHECK (tenant_id IS NOT NULL OR table_name IS NOT NULL),
    CHECK (active_until IS NULL OR active_until > active_from)
);
CREATE INDEX IF NOT EXISTS legal_holds_tenant_idx ON lsos_retention.legal_holds (tenant_id);

CREATE TABLE IF NOT EXISTS lsos_retention.offboarding (
    tenant_id         text PRIMARY KEY,
    state             text        NOT NULL CHECK (state IN ('soft-deleted', 'hard-deleting', 'purged')),
    soft_deleted_at   timestamptz NOT NULL,
    soft_deleted_by   text        NOT NULL,
    export_window_end timestamptz NOT NULL,
    exported_at       timestamptz,
    export_location   text,
    hard_delete_at    timestamptz,
    purged_at         timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- One row per (operation, table): progress while running (updated in the same
-- transaction as each batch, so a crash loses nothing) and the audit record once
-- finished_at is set.
CREATE TABLE IF NOT EXISTS lsos_retention.deletions (
    operation        text        NOT NULL,
    table_name       text        NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('hard-delete', 'sweep')),
    tenant_id        text,
    cutoff           timestamptz,
    rows_deleted     bigint      NOT NULL DEFAULT 0,
    batches          integer     NOT NULL DEFAULT 0,
    busy_ms          double precision NOT NULL DEFAULT 0,
    longest_batch_ms double precision NOT NULL DEFAULT 0,
    actor            text        NOT NULL,
    policy_version   text,
    archived_to      text,
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz,
    PRIMARY KEY (operation, table_name)
);
