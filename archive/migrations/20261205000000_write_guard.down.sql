-- Removes the write notes; CASCADE drops the guard triggers left on partitions whose
-- archive was interrupted (Run then falls back to counting their rows).
DROP FUNCTION IF EXISTS lsos_archive.note_write() CASCADE;
DROP TABLE IF EXISTS lsos_archive.writes;
