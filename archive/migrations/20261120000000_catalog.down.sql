-- Removes the archive catalog and its event log. The archived objects and their
-- manifests stay in the store (RebuildCatalog re-creates the catalog from them). The
-- schema stays: it holds the revisions of this directory.
DROP TABLE IF EXISTS lsos_archive.events;
DROP TABLE IF EXISTS lsos_archive.archives;
