// Package integrity checks the schema invariants and the data integrity that policy §9
// asks for: FK constraints on all critical relationships, unique constraints scoped by
// tenant, and periodic checks for orphaned records and duplicate snapshots. Services run
// it on a schedule ([Run], [SaveRun]); test suites assert it
// ([github.com/lsos/lsosgov/govtest.RequireNoFindings]).
//
//	rep, err := integrity.Run(ctx, pool, governance.Default(), integrity.Options{
//		Checks: integrity.SchemaChecks(), // one catalog read; All() adds the data checks
//	})
//	if err != nil {
//		return err // a check could not run; rep still holds what the others found
//	}
//	for _, f := range rep.Findings {
//		fmt.Println(f) // error missing-fk [IN101] public.keywords.campaign_id: …
//	}
//
// pool is a *pgxpool.Pool; any [DB] will do (*pgx.Conn, pgx.Tx), only a pool lets the
// data checks scan tables in parallel.
//
// # Checks
//
// Each check is a value implementing [Check] (name, stable code, Run) and reports
// [governance.Finding] values with a schema-qualified object (schema.table or
// schema.table.column). The names are the governance.Check… constants:
//
//   - missing-fk ([MissingFK]): a critical relationship — from the policy's relationships,
//     or inferred from a <name>_id column (alone or with the tenant column) matching a
//     table <name>s or <name> keyed by id — that no validated FK enforces, directly or
//     transitively (see below).
//   - tenant-isolation ([TenantIsolation]): a tenant-owned table whose tenant column is
//     missing or nullable, or that no validated FK ties to the root table (directly or
//     through a composite FK that carries the tenant column), or an FK between tenant
//     tables that does not carry the tenant column.
//   - unscoped-unique ([UnscopedUnique]): a unique key of a tenant-owned table without
//     the tenant column.
//   - fk-missing-index ([FKMissingIndex]), not-valid-constraint ([NotValidConstraint]),
//     invalid-index ([InvalidIndex]), missing-partition ([MissingPartition]).
//   - orphaned-rows ([OrphanedRows]) and duplicate-snapshots ([DuplicateSnapshots]) scan
//     data.
//
// [All] returns every check, [SchemaChecks] and [DataChecks] the two kinds (each call a
// fresh slice, so a caller may replace a check, e.g. MissingPartition with its own
// clock), and [Select] picks checks by name. Severity defaults are per check (see each type) and the policy's
// severities override them. A check's own error (it could not check) is kept apart from
// its findings (what it found).
//
// # Relationships enforced through a chain of foreign keys
//
// The idiomatic multi-tenant schema ties only some tables to the root directly: the
// others carry the tenant column through composite FKs,
//
//	users    (tenant_id REFERENCES tenants (id), UNIQUE (tenant_id, id))
//	projects (FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id))
//	tasks    (FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id))
//
// so tasks.tenant_id → tenants.id holds without an FK of its own: every task's
// tenant_id is a project's, which is a user's, which is a tenant's. A relationship is
// enforced when such a chain of validated FKs exists, each mapping the columns on to the
// next table and checking every row in which they are set — MATCH FULL, or every other
// referencing column NOT NULL (under MATCH SIMPLE a NULL project_id leaves the row, and
// its tenant_id, unchecked). A chain is broken by a table on the way whose tenant column
// has no such FK, by an FK that does not carry the column, or by a nullable column in
// it; the relationship is then reported as before. A chain with a NOT VALID link is
// reported with the constraint to validate, and scanned for orphans.
//
// # Policy entries the schema lacks
//
// A snapshot key or relationship of the policy that names a table or column the database
// lacks is reported by duplicate-snapshots or missing-fk as a warning — unless it is a
// built-in default entry the policy file did not name
// ([governance.Policy.IsDefaultSnapshot], [governance.Policy.IsDefaultRelationship]):
// that is a guess about a typical LSOS schema, reported at info whatever the policy's
// severities say, with a hint to drop the defaults with replace_defaults.
//
// # Orphans and soft-deleted parents
//
// Orphans are counted where nothing guarantees there are none: critical relationships
// that no validated FK (or chain of them) enforces, and NOT VALID FKs. A reference with a NULL column is not an
// orphan (MATCH SIMPLE). Without an FK, a relationship between two tenant tables is
// checked on (tenant column, x_id), so a reference to another tenant's row counts as
// an orphan. A finding lists up to [Env].Samples keys of the orphan rows — their primary
// key columns, never other values, and none when a key column is or may be sensitive.
//
// A parent row with deleted_at set still exists, so its children are not orphans; but
// they are reported on their own (code IN202) so that soft deletes which never cascade
// show up: at warning severity, or info for the tenant root, whose staged offboarding
// (policy §8) keeps a soft-deleted tenant's rows through the export window on purpose.
//
// # Running
//
// [Run] reads the catalog once ([ReadCatalog], one query) and shares that snapshot with
// every schema check, then runs the data checks. Data queries run in read-only
// transactions with statement_timeout and lock_timeout set locally, so they hold no lock
// beyond ACCESS SHARE and never write; on a *pgxpool.Pool tables are scanned in parallel
// up to [Options].Parallelism. [Options] pick checks and tables, bound the run by a time
// budget, report progress through a callback and inject the clock. Very large child
// tables can be scanned in key-range batches ([Env].BatchRows), each its own statement,
// and resumed from the key a progress event reports ([Env].Resume).
//
// # The SDK's own schemas
//
// The catalog ([ReadCatalog]) leaves out system schemas and the SDK's own schemas: every
// schema for which the policy's [governance.Policy.IsSDKSchema] holds (the sdk.prefix,
// lsos_ by default, and the schemas listed in sdk.schemas). So the revisions tables, the
// legal holds, the archive catalog and the saved runs are never reported on, and a
// policy that moves them (sdk.prefix: ops_, or a revisions schema added with
// [governance.Policy.WithSDKSchema]) moves what is left out with them.
//
// # History
//
// [Bookkeeping.SaveRun] stores a report in the table lsos_integrity_runs of the policy's
// SDK schema "integrity" (p.SDKSchema("integrity"): [RunsTable],
// lsos_integrity.lsos_integrity_runs, with the default sdk.prefix;
// ops_integrity.lsos_integrity_runs with sdk.prefix ops_), created on first use, which
// the checks leave out; [Bookkeeping.Runs] reads them back, newest first, with counts per
// severity and check, to show trends. The pattern, the same in packages retention and
// archive: [Run] takes the policy; the functions that take none are methods of
// [Bookkeeping], made for a policy by [For] (For(p).Install, SaveRun, Runs), and the
// package-level [Install], [SaveRun] and [Runs] are For(nil)'s, the default policy.
// Changing sdk.prefix does not move saved runs: the first install under the new prefix
// refuses while lsos_integrity holds the table (rename it: ALTER SCHEMA lsos_integrity
// RENAME TO ops_integrity).
package integrity
