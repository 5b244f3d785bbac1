-- Removes the bookkeeping tables of package retention: every legal hold, offboarding
-- state and deletion audit record is lost, and the legacy schema_migrations table a
-- later rollback may have recreated. The schema stays: it holds the revisions of this
-- directory.
DROP TABLE IF EXISTS lsos_retention.deletions;
DROP TABLE IF EXISTS lsos_retention.offboarding;
DROP TABLE IF EXISTS lsos_retention.legal_holds;
DROP TABLE IF EXISTS lsos_retention.schema_migrations;
