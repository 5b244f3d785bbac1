-- Removes the saved integrity reports. The schema stays: it holds the revisions of this
-- directory.
DROP TABLE IF EXISTS lsos_integrity.lsos_integrity_runs;
