-- Recreates the legacy bookkeeping table with the three files the versions before it
-- replaced, so that an older SDK finds them applied.
CREATE TABLE IF NOT EXISTS lsos_retention.schema_migrations (
    version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
INSERT INTO lsos_retention.schema_migrations (version) VALUES ('0001'), ('0002'), ('0003')
ON CONFLICT (version) DO NOTHING;
