// Package lint reviews (lints) and plans migration directories against the LSOS policy
// (policy §2-4 and §10): the statement-level review that PostgreSQL's own parser makes
// possible. It is the one package of the SDK that needs cgo (pg_query); the runtime
// packages (migrate, lsosgov.Startup) do not import it. govctl exposes it as
// `migrate lint|plan`.
//
//	dir, err := migrate.Inspect(os.DirFS("migrations"), "migrations") // the same loader as migrate.Load
//	if err != nil {
//		return err // a bad file name or a duplicate version: nothing to review
//	}
//	dev, _ := pgx.Connect(ctx, devURL) // an EMPTY scratch database, never the target
//	rep, err := lint.Review(ctx, dev, dir, lint.Options{Policy: policy})
//	if err != nil {
//		return err // the review could not run; findings are not errors
//	}
//	rep.WriteText(os.Stdout)
//	if rep.Findings.HasErrors() { os.Exit(1) }
//
// The directory model is package migrate's: [migrate.Inspect] reads the same file
// names, the same `-- lsos:` directive grammar ([migrate.Directives]) and splits
// statements with the same splitter ([migrate.SplitStatements]) as [migrate.Load], the
// executor and lsosgov.Startup, but keeps going where the review has findings to make
// (no atlas.sum, a missing rollback, a malformed directive). Whatever the loader or the
// executor would refuse is reported first, as an invalid-migration finding with file
// and line: IM101 a directive migrate.Load refuses, IM102 a statement the executor
// cannot run as the file is written (BEGIN/COMMIT in any file; VACUUM, REINDEX
// CONCURRENTLY or CREATE DATABASE in a transactional one), IM103 SQL that does not
// split or parse, IM104 an allow naming a check the review does not run. So a
// directory that passes the review loads and runs.
//
// # Checks and codes
//
// The review runs the checks of [Options.Checks] ([Builtin] by default), each behind
// the small [Check] interface: after each reviewed version a check gets a [Pass] with
// the version's statements (PostgreSQL parse trees included), its directives and the
// dev database with the version applied, and reports [governance.Finding]s. The
// built-in checks share one replay of the directory for speed and report what it found
// for their concern; leave one out to switch it off, add your own to extend the review.
// Every code is an exported constant ([CodeIndexNotConcurrent] = "LR101", …) and
// [Codes] is the catalogue: each code's check, summary and suggested fix, which every
// finding carries in its Fix field (JSON "fix").
//
// # Review
//
// [Review] replays a [migrate.Dir] on an empty scratch database (never the target: a dev
// database that already holds tables is refused with [ErrDevNotEmpty]). Each statement is
// parsed with PostgreSQL's own parser (pg_query) for the facts a schema diff cannot show
// (CONCURRENTLY, NOT VALID, the lock an ALTER TABLE subcommand takes, whether it may run
// in a transaction, its line), the catalog is read before and after it runs, and the
// statement is executed. A statement that fails on the dev database (say, ADD COLUMN
// NOT NULL on a table with rows) is reviewed from its parse tree alone and listed in
// [Report.Static].
//
// Checks, with stable codes and the default severities of the issue (the policy's
// severities map raises or lowers each):
//
//   - missing-rollback (MR101 no .down.sql, MR102 empty) and checksum-mismatch (CS101
//     edited, CS102 not in atlas.sum, CS103 file missing, CS104 no atlas.sum).
//   - destructive-change: DROP TABLE (DC101), DROP COLUMN (DC102), TRUNCATE (DC103),
//     DROP DATABASE (DC104).
//     A drop is accepted once an earlier version declared `-- lsos:deprecates t[.c]`
//     at least the policy's deprecation window before now. Without a target the window
//     runs from that version's timestamp (the finding says so); with [Options.Target]
//     (or [Options.AppliedAt]) it runs from when the version was applied there, read
//     from package migrate's revisions table by [ReadApplied], and a deprecating version
//     not applied there yet allows no drop. The finding says when the drop becomes allowed.
//   - backward-incompatible: rename of a table/column (BI101/BI102), drop (BI103/BI104),
//     ADD COLUMN NOT NULL without default (BI105), a narrowing or rewriting type change
//     (BI106), SET NOT NULL without a validated CHECK (BI107), DROP DEFAULT (BI108),
//     DROP NOT NULL (BI109). Accepted in a version that declares
//     `-- lsos:breaking flag=F phase=contract` when an earlier version declares
//     `phase=expand` for F; [Report.Flags] lists F. A drop whose deprecation window has
//     passed is accepted too: the deprecation is the expand/contract sequence of a drop.
//   - lock-risk: index create/drop without CONCURRENTLY on an existing table (LR101,
//     LR102), CONCURRENTLY in a transactional file (LR103), FK/CHECK without NOT VALID
//     (LR104, LR105), table rewrites (LR106 type change, LR107 volatile default or
//     serial/identity/stored column), ACCESS EXCLUSIVE without lock_timeout (LR108; the
//     `lock_timeout` directive, SET lock_timeout or the policy default satisfy it), DETACH
//     PARTITION without CONCURRENTLY (LR109), UNIQUE/PRIMARY KEY built in place (LR110),
//     SET NOT NULL's full scan (LR111), REINDEX without CONCURRENTLY on a table, index,
//     schema or database (LR112), CLUSTER (LR113) and VACUUM FULL (LR114) rewrites
//     (pg_repack does it online), ALTER DOMAIN … ADD CONSTRAINT without NOT VALID
//     (LR115), ADD CONSTRAINT … NOT VALID validated in the same transaction (LR116),
//     ADD COLUMN … UNIQUE or PRIMARY KEY inline on an existing table (LR117). The safe
//     spellings — CONCURRENTLY in a no-transaction version, NOT VALID then VALIDATE in a
//     later version, CREATE UNIQUE INDEX CONCURRENTLY then ADD CONSTRAINT … USING INDEX —
//     are not flagged (corpus cases prove each).
//   - index-impact (info): every index added or dropped on an existing table with the
//     table's rows and size from pg_class (of [Options.Stats], e.g. the target) and an
//     estimated index size and build time (II101, II102); an FK without an index
//     starting with its columns (II103); a new index that makes an existing one
//     redundant (II104: the existing index's key columns are a leading prefix of the new
//     one's) and a new index redundant with an existing one (II105: its key columns are
//     a prefix of, or equal to, the existing one's). Both name the two indexes and the
//     one to drop. Redundancy needs the same access method (a prefix only for B-tree),
//     the same predicate, operator classes and sort order, and no expression; a unique,
//     primary key or constraint index (or one with INCLUDE columns) is never the
//     redundant one.
//   - tenant-isolation: tenant column missing (TI101) or nullable (TI102), a unique index
//     without it (TI103; primary keys, the root table, global tables and the policy's
//     global_keys are exempt), an FK to a tenant-owned table without it (TI104), RLS off
//     where the policy requires it (TI105). Only what the version introduces is reported.
//   - unclassified-column (UC101) and sensitive-change (SC101 new sensitive column,
//     SC102 a change to one, SC103 a classification change), using package classify.
//   - invalid-migration (IM101-IM104), above.
//   - missing-approval (MA101): the approvers of policy §10 (backend + platform owner;
//     security review for a sensitive change; legal/compliance for a retention change)
//     checked against approvals.yaml (`approvals: {"<version>": [role, …]}`) and
//     `-- lsos:approved-by role, …` directives.
//
// # Atlas analyzers
//
// Each reviewed file is also fed to Atlas's sqlcheck analyzers (destructive DS1xx,
// data_depend MF1xx, condrop CD101, incompatible BC1xx), as Atlas's own lint does: the
// tables a statement touches are inspected with Atlas before and after it runs on the
// dev database, and their SchemaDiff is the statement's
// [ariga.io/atlas/sql/sqlcheck.Change] (a RENAME becomes Atlas's rename change, not a
// drop plus add); the file's From/To/Sum come from the same inspection of every table
// it names. A diagnostic that duplicates a check of ours
// is merged into its finding, which keeps its check and code and gains "(Atlas DS103: …)"
// in its message: DS102/DS103 into destructive-change DC101/DC102, BC101/BC102 into
// backward-incompatible BI101/BI102, MF103/MF104 into BI105/BI107. When our check
// accepted the statement (deprecation window passed, contract step, validated NOT NULL
// check, identity column) the diagnostic is recorded as accepted. Any other diagnostic
// becomes a finding of its own, with Atlas's code and a check named after the analyzer
// (governance.CheckAtlasDestructive "atlas-destructive" for DS101 drop schema,
// "atlas-data-depend" for MF101/MF102 unique index on existing data, "atlas-condrop" for
// CD101, "atlas-incompatible"); default severities error, warning, warning, error, and
// the policy's severities map overrides them. [Report.Atlas] lists every diagnostic with
// its outcome. Atlas inspects through a database/sql session of its own, so a dev
// database given as a transaction skips the analyzers ([AtlasReport.Skipped] says why).
//
// # Suppression
//
// `-- lsos:allow <check> reason="…"` in the leading comment block suppresses the check
// for the file; in the comment lines right above a later statement, for that statement
// ([migrate.Allow]). The reason is required: migrate.Load refuses an allow without one,
// and the review reports it as IM101 and keeps the finding. Suppressions are reported
// in [Report.Suppressed].
//
// # Reports
//
// [Report.WriteJSON] writes {"findings":[…]} (docs/DESIGN.md) plus approvals, flags,
// index_impact, suppressed and atlas; [Report.WriteText] one line per finding;
// [Report.WriteMarkdown] a pull-request comment with the index impact table and the
// approvals required.
//
// # Planning
//
// [Plan] replays the directory, loads the desired schema next to it, and diffs with
// Atlas (SchemaDiff, PlanChanges). The desired schema is plain SQL or Atlas HCL
// (PostgreSQL dialect; sources named *.hcl in [PlanOptions.DesiredNames], evaluated
// together, declaring only schema "public"; not mixed with SQL). HCL is evaluated with
// Atlas's postgres.EvalHCL and created on the scratch database through Atlas's planner,
// then inspected like the SQL, so both give the same plan; errors are a [*DesiredError]
// naming the file and line. Then Plan fills Atlas's gaps: indexes on existing tables
// CONCURRENTLY in a no-transaction version; FKs and CHECKs NOT VALID plus a VALIDATE
// version; drops marked irreversible in the rollback with a failing guard; partition
// children (which Atlas does not inspect) created from the catalog; a drop+add of one
// type becomes a rename hint or, with [PlanOptions.Renames], a rename. [WritePlan]
// writes the files and rewrites atlas.sum.
//
// # Drift
//
// Drift needs no parser and lives in package migrate ([migrate.Drift]), so that
// lsosgov.Startup can refuse a drifted schema from a static binary.
package lint
