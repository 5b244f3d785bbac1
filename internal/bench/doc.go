// Command bench measures every hot path of the module side by side with the baseline a
// user would otherwise reach for, on a real PostgreSQL, and says whether each target of
// issue 11 is met.
//
// # Usage
//
//	go run ./internal/bench [--scale small|medium|full] [--runs N] [--json] [--only name,…] [--out DIR]
//
// The driver starts its own server with [github.com/lsos/lsosgov/internal/pgtest]
// (or uses DATABASE_URL, whose role must be allowed to CREATE DATABASE), builds its
// data at the chosen scale in databases of its own, measures, writes PNG scaling
// charts and a results.json into --out (default docs/bench), and prints an aligned
// table (or JSON with --json). At --scale full it exits 1 when a target is missed;
// at the smaller scales the pass/fail column is informative only.
//
// # Method
//
// Each measurement pairs a candidate (this module's call) with its baseline (goose,
// a raw binary COPY, pg_dump, a hand-written query or statement) on the same data
// and the same server. After one untimed warm-up of each, the runs alternate
// baseline, candidate, candidate, baseline, … so that drift of a shared machine hits
// both sides alike; the table reports the median of each side and their ratio.
// Work that is not part of the operation (cloning a database for a destructive run,
// soft-deleting and exporting a tenant before its hard delete) happens outside the
// timed section.
//
// # Measurements
//
//   - startup: lsosgov.Startup with 200 applied versions and nothing pending (the
//     directory loaded once, and loaded on the call) and Migrator.Up alone, against
//     goose's Provider.Up no-op (and NewProvider + Up) on the same database.
//   - archive-export: the archive package's export step (parquetio.Export of
//     SELECT * FROM the partition into a file:// bucket) against a binary COPY TO
//     STDOUT read through pgx and against pg_dump -Fc -t partition; peak RSS of the
//     export measured in a child process (this binary re-executed with a hidden
//     sub-command) at two sizes.
//   - restore: archive.Restore into a new table against COPY FROM STDIN (binary) of the
//     same rows into the same table definition.
//   - integrity: the orphaned-rows and duplicate-snapshots checks against the
//     hand-written anti-join and GROUP BY … HAVING.
//   - integrity-sample: every integrity check on the sample LSOS schema grown to 10M
//     ranking snapshot rows (full scale), against the GROUP BY over the snapshot
//     natural key (no target; it shows what a full nightly check costs).
//   - classify: classify.Classify on a schema whose tables hold 100x more rows,
//     against the same call on the small schema.
//   - hard-delete: retention's batched tenant hard delete over 10 tables against one
//     DELETE per table, with the longest lock one batch (or statement) held.
//   - review: lint.Review of 100 files on a 300-table schema, against applying the
//     same files on the dev database (the dev-database share of the review).
//
// Archive export, integrity and hard-delete are also measured at three sizes for the
// scaling charts.
package main
