// Package retention turns the retention and deletion rules of the LSOS policy (§6, §8)
// into cutoffs, eligibility verdicts, legal holds and a staged, logged tenant
// offboarding.
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil {
//		return err
//	}
//	if err := retention.Install(ctx, pool); err != nil { // lsos_retention, idempotent
//		return err
//	}
//	policy := governance.Default()
//	cat, err := retention.Catalog(ctx, pool, policy)
//	if err != nil {
//		return err
//	}
//	rep, err := retention.Eligibility(ctx, pool, policy, cat, time.Now())
//	if err != nil {
//		return err
//	}
//	for _, t := range rep.Tables {
//		fmt.Println(t.Table, len(t.Eligible), "partitions may leave hot storage")
//	}
//
// The package example runs this against the test kit's PostgreSQL; package archive
// takes the eligible partitions to object storage.
//
// # The package's schema follows the policy
//
// The package keeps its tables (legal holds, offboarding state, deletion audit records)
// in one of the SDK's own schemas, named by the policy's sdk.prefix: p.SDKSchema("retention")
// ([governance.Policy.SDKSchema]), which is [Schema], lsos_retention, with the default
// prefix and ops_retention with sdk.prefix ops_. The pattern, the same in packages
// archive and integrity:
//
//   - Functions that take a policy use its schema: [NewOffboarder], [Sweep],
//     [Eligibility], [SoftDeletedTenants], [InstallActiveViews].
//   - The ones that take none are methods of [Bookkeeping], made for a policy by [For]:
//     For(p).Install, AddHold, ListHolds, ReleaseHold, HoldsBlocking, HoldsBlockingName,
//     AuditRecords.
//   - The package-level functions of the same names are For(nil)'s: the default policy,
//     lsos_retention, exactly as before the schema followed the policy.
//
// Pass the policy the service loaded everywhere, or a legal hold placed under one prefix
// is not seen under the other. Changing sdk.prefix does not move an existing install:
// the first install under the new prefix refuses while lsos_retention holds the tables
// (rename it: ALTER SCHEMA lsos_retention RENAME TO ops_retention).
//
// # Installing
//
// [Bookkeeping.Install] creates and upgrades the policy's schema with the module's
// migrate engine: [Migrations] is a native migration directory (<version>_<name>.up.sql
// and .down.sql, atlas.sum) whose revisions are recorded in the schema's revisions
// table, applied under the migrator's advisory lock, so many replicas may call it at
// once; when nothing is pending it costs two light queries. The shipped files name
// lsos_retention; under another prefix the installer runs them with the policy's schema
// (quoted) in its place and records the shipped files' checksums. An install by an
// earlier SDK (lsos_retention.schema_migrations) is carried over: its versions are
// baselined and its rows kept. Install needs a pool or a connection; through a
// transaction it only checks the schema is up to date.
//
// # Catalog and categories
//
// [Catalog] reads the user tables from pg_catalog (the SDK's own schemas, the policy's
// sdk.prefix and sdk.schemas, [governance.Policy.IsSDKSchema], are left out):
// partitions with their range
// bounds, primary and foreign keys, the tenant column, a time column and a retention
// category. The category comes from the policy's retention rules; failing that, an
// audit-class table (policy classes.tables or a "lsos:class=audit" table comment) or an
// audit-named table (audit_*, *_audit, *_audit_log) is category audit. The time column is the rule's time_column, else the
// partition key, else the first NOT NULL date/timestamp column (event columns before
// created_at).
//
// # Cutoffs
//
// [Cutoffs] gives, per table and per plan where a rule sets plan keeps, the instant
// before which data may leave hot storage: now minus the keep in calendar months, in the
// policy's time zone, with month ends clamped ([governance.Keep.Cutoff]): 13 months
// before 2026-03-31 is 2025-02-28. A keep below the category floor is raised to the
// floor (governance.Validate rejects such a policy file anyway). "forever" has no
// cutoff. A table that holds data but has no category is listed in
// [CutoffReport.Unmatched]: it is reported for a decision, never silently kept or dropped.
//
// # Eligibility
//
// [Eligibility] applies the cutoffs to the data. A partition is eligible only when its
// whole range ends at or before the cutoff of every tenant whose rows it holds (a
// tenant's plan, from the tenants table's plan column, may keep longer) and no legal hold
// covers it; every other partition is listed in Blocked with the reason. Default
// partitions, MAXVALUE bounds and non-range keys are always blocked, with a reason. For
// an unpartitioned table the verdict is a row range: the rows older than each tenant's
// cutoff by the time column (a date row counts when its whole day is before the cutoff).
//
// Deciding a partition reads which tenants hold rows in it; by default it counts them
// (PartitionRange.Rows, one scan of the partition). [EligibilityWith] with
// EligibilityOptions{TenantsOnly: true} reads the tenants through an index that leads
// with the tenant column instead, one probe per tenant, and leaves Rows at
// [RowsNotCounted]: package archive uses it, since its export counts the rows anyway. A
// range the cutoff blocks whoever holds data in it is blocked without reading it.
//
// # Legal holds
//
// Holds live in the policy's retention schema ([Bookkeeping.Install]). [AddHold], [ListHolds] and
// [ReleaseHold] manage holds scoped by tenant, by table or both, with a reason, who placed
// it and a from/until window; holds are released, never deleted. [HoldsBlocking] is the
// question the archive package and this package ask before dropping or deleting data: a
// hold on a table covers its partitions, a hold without a table covers every table, a
// hold without a tenant covers every tenant. Tables are matched by exact, case-sensitive
// name: [HoldsBlockingName] takes the structured name read from the catalog, and a
// [HoldsBlocking] argument that does not parse is an error, never "no hold". A hold
// stores its table's schema and name apart ([Hold.TableSchema], [Hold.TableName]), so a
// table named "a.b" in public is never confused with table b of schema a: give
// [HoldSpec.Table] as SQL text (quote a name holding a dot) or [HoldSpec.Name] exactly.
// A blocked action fails with a [HeldError] naming the hold ids.
//
// # Staged offboarding
//
// An [Offboarder] runs policy §8 with its state in the offboarding table of its policy's
// retention schema (lsos_retention.offboarding by default):
//
//	active → SoftDelete → export window (policy offboarding.export_window)
//	       → hard-delete eligible → HardDelete (hard-deleting) → purged
//
// SoftDelete sets tenants.status = 'deleted' and tenants.deleted_at. Export writes every
// row of the tenant, table by table, as Parquet with the archive package's writer to a
// gocloud.dev/blob bucket (archive.OpenBucket opens file:// and s3:// URLs with the
// drivers the program registers), with a manifest per
// table holding the row count and SHA-256. HardDelete refuses while the export window is
// open, before an export is recorded, while a legal hold covers the tenant, and while a
// retention floor forbids (see below). It then deletes table by table in foreign-key
// order computed from the catalog, children first ([DeleteOrder]; cycles are reported as
// a [CycleError]), leaf partition by leaf partition, in batches of
// offboarding.batch_size rows selected by ctid. Each batch is one short transaction
// under lock_timeout, and every statement filters on the tenant column. The batch's
// progress is committed with it in the deletions table of that schema, which becomes the
// per-table audit record (rows deleted, batches, summed and longest batch time, who,
// when). A crash or a cancelled context leaves the tenant hard-deleting; calling
// HardDelete again resumes, and calling it on a purged tenant returns the record.
//
// After HardDelete, the tenant's rows may still sit in partition archives exported
// before it. Purging a tenant purges those too, unless a legal hold covers them: the
// documented flow ends with archive.PurgeTenant (this package cannot import archive),
// which rewrites each archive without the tenant's rows, verifies it, switches the
// catalog and deletes the old object, with an audit record per archive in
// the same deletions table (kind archive-purge, operation "archive-purge:<tenant>",
// migration 20261120000200_archive_purge). Skipping it is a decision that is recorded with its reason
// (archive.RecordPurgeSkipped, kind archive-purge-skipped). govctl's
// "tenant offboard --stage hard-delete" refuses, before deleting anything, while
// archives hold the tenant and neither --archive-store nor --skip-archive-purge REASON
// is given. The tenant's own export (Export) is its copy and is not purged. HardDelete
// refuses, before deleting anything, while a table in one of the SDK's schemas (a
// partition the archive package kept detached) references the tenant's rows by foreign key: drop
// those keys (an archived copy needs none); PurgeTenant then removes the tenant's rows
// from the kept copy together with its archive.
//
// # Soft-deleted tenants
//
// A soft-deleted tenant is on its way out: the running service must stop seeing it, the
// library must not let its data decide anything about live data, and nothing may destroy
// it before the export window and the legal requirements allow. What marks it: its
// tenants row's deleted_at (SoftDelete sets it in the same transaction that opens the
// offboarding record, and an application that sets deleted_at itself is covered); a
// tenants table without deleted_at falls back to the policy's offboarding table
// (lsos_retention.offboarding by default; any state).
// [SoftDeletedTenants] returns the ids. Decisions, query by query:
//
//   - Applications: [InstallActiveViews] creates, in the policy's schema "active"
//     (lsos_active by default), one view per
//     tenant-owned table (and one of the tenants table) without the soft-deleted
//     tenants' rows. The views are security_invoker (a role reads through them only what
//     it may read from the tables, so they widen no privilege) and security_barrier (a
//     caller's leaky function cannot see the hidden rows). The filter runs at query time;
//     call InstallActiveViews after every migration run (new columns, new and dropped
//     tables), and [DropActiveViews] before a migration that drops or retypes a column
//     of a tenant-owned table.
//   - Classification sampling (package classify) leaves out rows of soft-deleted tenants
//     and their tenants rows: a departed customer's values must not decide how current
//     data is governed. A role that cannot read the tenants table cannot sample tenant
//     tables (the sample fails closed, reported as not sampled).
//   - Eligibility and sweeps: "tenants present" still lists a soft-deleted tenant (its
//     rows are there), but its plan no longer extends retention: its rows follow the
//     category's default keep, which is never below the floor. The longer keep of a plan
//     was a service promise that ended with the contract; so the tenant neither holds
//     partitions back beyond the default nor lets anything go before the floor. Legal
//     holds on it still block, as they block its hard delete.
//   - archive.Find with a tenant filter still finds archives holding a soft-deleted (or
//     hard-deleted, not yet archive-purged) tenant: audits and the export window need
//     them. After archive.PurgeTenant it finds none.
//   - integrity's duplicate-snapshot check still counts a soft-deleted tenant's rows:
//     they exist until the hard delete, a unique index built to enforce the key would
//     fail on them too, and the export must carry the data as it is. Orphan reporting
//     (IN202, children of soft-deleted parents) is unchanged.
//   - HardDelete, Export and Plan read the soft-deleted tenant's rows on purpose.
//
// # Retention floors at offboarding
//
// "Hard-delete after retention/legal requirements" is read this way: the floors of the
// categories in [OffboardConfig.FloorCategories] (default audit and delivery) are legal
// requirements that outlive the customer relationship. HardDelete waits until the
// tenant's newest row in those tables is older than the category floor (24 and 12
// months), and its [FloorError] says from when the delete is allowed. Snapshots and
// summaries serve the tenant; their floors protect the running service and end with
// the contract, so they do not hold the delete back.
//
// # Sweeps
//
// [Sweep] applies row-range retention to unpartitioned tables (by default the delivery
// tables): in each batch transaction it locks up to batch_size eligible rows, writes
// them as one Parquet object with a manifest, deletes them and checks the counts match,
// then commits. A failure may leave an archived object whose rows were not deleted (a
// sweep resumed with the same Now overwrites it), never a deleted row without a copy.
// NoArchive deletes without a copy, for data the policy allows to lose. Held tenants
// are skipped and reported; each table gets an audit record like a hard delete.
package retention
