-- Before the SDK's schemas were installed by the migrate engine, package retention
-- recorded its migration files in lsos_retention.schema_migrations. An install that has
-- it was baselined from its rows (their versions and times are in the baseline note of
-- lsos_retention.revisions); the revisions table is now the only record.
DROP TABLE IF EXISTS lsos_retention.schema_migrations;
