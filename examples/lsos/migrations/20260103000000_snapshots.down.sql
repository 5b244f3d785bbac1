DROP TABLE crawl_outputs;
DROP TABLE ranking_snapshots;
