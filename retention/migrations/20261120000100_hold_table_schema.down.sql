-- Back to one text column: table_name holds schema || '.' || name again.
DROP INDEX IF EXISTS lsos_retention.legal_holds_table_idx;
UPDATE lsos_retention.legal_holds SET table_name = table_schema || '.' || table_name
WHERE table_schema IS NOT NULL AND table_name IS NOT NULL;
ALTER TABLE lsos_retention.legal_holds DROP COLUMN IF EXISTS table_schema;
