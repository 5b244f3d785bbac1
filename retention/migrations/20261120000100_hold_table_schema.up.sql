-- Legal holds name their table by schema and name separately. The first version kept one text
-- column written as schema || '.' || name, which cannot tell the table "a.b" in schema
-- public from the table b in schema a. Idempotent: safe to run again.
ALTER TABLE lsos_retention.legal_holds ADD COLUMN IF NOT EXISTS table_schema text;

-- Backfill the rows the first version wrote: table_name holds schema || '.' || name, unquoted. A name
-- with one dot splits there. With several dots, split at the dot where the two parts
-- name an existing relation, else where the first part names an existing schema, else
-- at the first dot (the writer's schema was "public" unless given).
UPDATE lsos_retention.legal_holds h
SET table_schema = s.sch, table_name = s.rel
FROM (
    SELECT DISTINCT ON (h2.id) h2.id, d.sch, d.rel
    FROM lsos_retention.legal_holds h2
    CROSS JOIN LATERAL (
        SELECT p, left(h2.table_name, p - 1) AS sch, substr(h2.table_name, p + 1) AS rel
        FROM generate_series(2, length(h2.table_name) - 1) p
        WHERE substr(h2.table_name, p, 1) = '.'
    ) d
    WHERE h2.table_schema IS NULL AND h2.table_name IS NOT NULL
    ORDER BY h2.id,
        EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname::text = d.sch AND c.relname::text = d.rel) DESC,
        EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname::text = d.sch) DESC,
        d.p
) s
WHERE h.id = s.id;

-- A value without an inner dot never came from the first version's writer; read it as a table of public.
UPDATE lsos_retention.legal_holds SET table_schema = 'public'
WHERE table_schema IS NULL AND table_name IS NOT NULL;

CREATE INDEX IF NOT EXISTS legal_holds_table_idx ON lsos_retention.legal_holds (table_schema, table_name);
