-- Writes to a partition while it is being archived. Run puts two triggers on the
-- partition before its export (a row trigger for INSERT, UPDATE and DELETE, a statement
-- trigger for TRUNCATE, both ENABLE ALWAYS) that note the partition here in the
-- writer's own transaction: a note stops the archive before the detach and the drop,
-- where counting the rows cost two scans of the partition and missed an UPDATE. A
-- write rolled back leaves no note, as it leaves no change.
CREATE TABLE IF NOT EXISTS lsos_archive.writes (
    rel oid PRIMARY KEY,         -- the partition written to
    op  text NOT NULL,           -- the first write's TG_OP
    at  timestamptz NOT NULL DEFAULT now()
);
-- SECURITY DEFINER: the application's roles write to the partition, not to this
-- schema. A trigger function cannot be called directly, and only roles with TRIGGER on
-- a table can attach it, so no other role can add a note for a partition it cannot write.
CREATE OR REPLACE FUNCTION lsos_archive.note_write() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- One note per partition: a bulk write pays one index probe per row after its first.
    IF NOT EXISTS (SELECT 1 FROM lsos_archive.writes WHERE rel = TG_RELID) THEN
        INSERT INTO lsos_archive.writes (rel, op) VALUES (TG_RELID, TG_OP) ON CONFLICT (rel) DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION lsos_archive.note_write() FROM PUBLIC;
