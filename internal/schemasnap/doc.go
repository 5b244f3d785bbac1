// Package schemasnap takes a comparable snapshot of a PostgreSQL schema and diffs two
// snapshots. The migrate round-trip test uses it to prove that a rollback restores the
// schema exactly; drift detection uses it to compare a database with its migrations.
//
// # What a snapshot holds
//
// Tables, columns, primary keys, indexes, foreign keys, checks, comments and partition
// keys come from Atlas's PostgreSQL inspector (ariga.io/atlas/sql/postgres), flattened
// into plain values keyed by name so that a diff names objects, not slice positions.
// What Atlas's open-source inspector does not see is read from the catalog: partition
// children and their bounds, views and materialized views, functions and procedures,
// triggers, row-level-security flags and policies, sequences, enum and domain types, the
// full index and constraint definitions, and every comment.
//
// # Diffing
//
// [Diff] returns a go-cmp diff ("-before +after"), empty when the snapshots are equal.
package schemasnap
