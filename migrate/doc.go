// Package migrate is the LSOS migration engine: a versioned directory of forward and
// rollback SQL files with Atlas-compatible checksums, a transactional executor that
// records every version in a revisions table under an advisory lock, an up/down
// round-trip test, drift detection, and a rehearsal on a copy of a database (policy
// §2–§3). It is pure Go (no cgo), so services embed it in static binaries.
//
//	//go:embed migrations
//	var migrations embed.FS
//
//	sub, _ := fs.Sub(migrations, "migrations")
//	dir, err := migrate.LoadFS(sub) // names, atlas.sum and directives checked
//	if err != nil {
//		return err
//	}
//	m, err := migrate.NewMigrator(pool, dir, migrate.Config{Logger: slog.Default()})
//	if err != nil {
//		return err
//	}
//	applied, err := m.Up(ctx) // each pending version once, under an advisory lock
//
// The policy review of a directory (lint) lives in package
// github.com/lsos/lsosgov/migrate/lint, which reads directories with this package's
// loader ([Inspect]) and grammar.
//
// # Directory format
//
// One version is two files, <version>_<name>.up.sql and <version>_<name>.down.sql,
// where version is a UTC timestamp YYYYMMDDHHMMSS (as [New] and `govctl migrate new`
// write it) and name is lower-case letters, digits and underscores. atlas.sum covers
// every .sql file and is computed by Atlas's own code (ariga.io/atlas/sql/migrate), so
// `atlas migrate validate` accepts it; [Hash] rewrites it after a reviewed hand edit.
// [Load] reads a directory on disk and [LoadFS] any fs.FS (an embed.FS in a service).
// Loading fails with a [*FileError] naming the file for a missing rollback
// ([ErrMissingRollback]), a duplicate version ([ErrDuplicateVersion]), a bad name
// ([ErrBadName]), a file missing from the sum ([ErrNotInSum]), a sum entry whose file is
// gone ([ErrRemovedFromDir]), an edited file ([ErrChecksumMismatch]) or a bad directive
// ([ErrBadDirective]). Files are split into statements in pure Go by [SplitStatements],
// which follows PostgreSQL's lexical rules (quotes, E'…' strings, dollar quoting, nested
// comments, BEGIN ATOMIC bodies), each with its line number, lazily: on first use
// ([File.Statements]), since a service starting with every version applied needs none
// of them. An unterminated string or comment or a statement that does not start with an
// SQL command ([ErrSyntax]), or a statement the executor cannot run as the file is
// written ([ErrNotInTransaction]: BEGIN/COMMIT anywhere; CREATE INDEX CONCURRENTLY,
// VACUUM… in a transactional file) is refused before anything runs: [Migrator.UpTo] and
// [Migrator.Down] split every file of the run first, and [Dir.Check] (called by
// [Migrator.Verify] and govctl) splits them all. Other syntax errors are the server's to
// find when the version runs (its transaction rolls back); package lint parses every
// statement with PostgreSQL's own parser ahead of time.
//
// # Directives
//
// A leading "-- lsos:" comment block sets per-file behaviour, see [Directives]:
// no-transaction, lock_timeout and statement_timeout overrides, deprecates
// table[.column], allow <check> reason="…", maintenance-window, breaking
// flag=<f> phase=expand|contract, approved-by <role>, … and retention-change. An allow
// may also stand in the comment lines above a later statement, for that statement
// only. This one grammar serves the loader, the executor, lsosgov.Startup and the lint
// package. The forward file's directives are embedded in each [Version], so code reads
// v.Deprecates, v.Allows and v.Breaking directly.
//
// # Applying
//
// [NewMigrator] takes a *pgxpool.Pool (or one connection), a [*Dir] and a [Config].
// [Migrator.Up] and [Migrator.UpTo] apply pending versions, [Migrator.Down] rolls back,
// [Migrator.Status] lists every version, [Migrator.Verify] checks history without
// changing anything, [Migrator.Baseline] adopts an existing database, and
// [Migrator.Resolve] / [Migrator.Force] settle a dirty or hand-applied version with a
// recorded reason. Every change is written to <schema>.revisions (version, name,
// checksum, applied_at, duration, applied_by, application_name, kind, state, failed
// statement, note) and to the audit table <schema>.revision_log; the schema defaults to
// lsos_migrate and is created on first use.
//
// A transactional file runs in one transaction together with its revision row, so a
// failure leaves the database exactly as before the file. A no-transaction file (for
// CREATE INDEX CONCURRENTLY or ALTER TYPE … ADD VALUE) runs statement by statement: a
// dirty revision row is written first, so a failure or a crash leaves it dirty with the
// failed statement's index, and every later run refuses with a [*DirtyError] (which
// also lists indexes left INVALID) until someone resolves it.
//
// Each file runs with lock_timeout and statement_timeout from the policy
// (migrations.lock_timeout, migrations.statement_timeout) or its own directives, so a
// migration never queues behind production traffic forever.
//
// # Concurrency
//
// All changes happen on one dedicated connection holding a session-level advisory lock
// whose key is derived from the revisions table name. N replicas calling Up at once
// apply each version exactly once: the others wait (at most [Config.LockWait], then
// [ErrLockTimeout]) and find it applied. The session also sets
// client_connection_check_interval, so a killed migrator's backend aborts its
// transaction and releases the lock within a second.
//
// # Startup cost
//
// When nothing is pending, Up costs one query: the applied versions and checksums are
// read and compared with the directory without taking the lock or inspecting the schema.
//
// # History checks
//
// An applied version whose file changed or disappeared, or a pending version older than
// the newest applied one, refuses the whole run with a [*HistoryError] that says what to
// do; [Config.AllowOutOfOrder] applies older pending versions instead.
//
// # Maintenance windows
//
// A version marked "-- lsos:maintenance-window" is applied only inside one of the
// policy's migrations.maintenance_windows (evaluated with [Config.Now]); otherwise Up
// applies what comes before it and stops with a [*WindowError] saying when the next
// window opens. [Config.WindowOverride] applies it anyway, recording the reason in the
// revision row.
//
// # Errors and progress
//
// A run that fails after applying some versions returns a [*PartialError] with the
// versions applied and the one that failed; errors.As reaches the cause
// ([*StatementError], [*DirtyError], [*WindowError]). [Config.Logger] gets one line per
// version and [Config.Progress] an [Event] per version and statement.
//
// # Planning and drift
//
// [Plan] computes the next versions from the state the directory builds to a desired
// schema, given as plain SQL or as Atlas HCL (files named *.hcl in
// [PlanOptions].DesiredNames, declaring schema "public"): Atlas diffs the two on a
// scratch database and Plan adds what Atlas leaves out (CONCURRENTLY indexes in a
// no-transaction version, NOT VALID constraints validated later, guarded irreversible
// rollbacks, rename hints); [WritePlan] writes them and atlas.sum. [Drift] compares a
// live database with what its applied versions produce, so a hand-made hotfix shows up;
// lsosgov.StartupConfig.FailOnDrift runs it at startup.
//
// # Round-trip test and rehearsal
//
// [Test] applies every version, rolls them back one at a time comparing the schema with
// its state before that version (Atlas inspection plus catalog queries for partitions,
// views, functions, triggers, policies and comments; see internal/schemasnap), and
// applies them again; a [*RoundTripError] carries a go-cmp diff. govtest.RequireRoundTrip
// wraps it for tests. [Rehearse] applies pending versions to a copy of a database and
// reports each statement's duration, the locks it took, the rows it touched and whether
// it rewrote a table.
package migrate
