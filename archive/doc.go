// Package archive moves aged monthly partitions of snapshot tables to object storage
// (policy §7): each partition becomes a Parquet object with a JSON manifest and a catalog
// row, is verified, detached and dropped, and can be restored or read back for audits and
// historical reporting.
//
//	import _ "gocloud.dev/blob/fileblob" // in the program: the store's driver
//
//	store, err := archive.OpenBucket(ctx, "file:///var/lib/lsos/archive")
//	if err != nil {
//		return err
//	}
//	defer store.Close()
//	rep, err := archive.Run(ctx, pool, store, governance.Default(), archive.Options{
//		Tables: []string{"public.ranking_snapshots"},
//	})
//	if err != nil {
//		return err
//	}
//	parts, rows := rep.Archived()
//	fmt.Println(parts, "partitions,", rows, "rows archived")
//
// The package examples run this against the test kit's PostgreSQL, find and restore an
// archived month, and purge an offboarded tenant from the archives ([PurgeTenant]).
//
// # Lifecycle
//
// [Run] takes the partitions that package retention says may leave hot storage (or an
// explicit [Options.Partitions] list) and, for each, runs:
//
//	export   put the write guard on the partition (below), then stream it
//	         (binary-format query) into Parquet, zstd, bounded row
//	         groups ([ExportOptions]), uploaded with the store's multipart writer; the
//	         column statistics and the rows per tenant come from the same stream
//	verify   read the object back: it must hash to exactly the bytes written and its
//	         footer must count the exported rows (every row decoded again with
//	         [Options.VerifyRows]); and the write guard must have noted no write
//	record   write the manifest next to the object; the catalog row holds it too
//	detach   ALTER TABLE … DETACH PARTITION … CONCURRENTLY (FINALIZE when a previous
//	         detach was interrupted; plain DETACH when the parent has a default partition)
//	drop     in one transaction: lock the detached table, find no write noted, then
//	         DROP TABLE, or move it to [Options.DetachedSchema] with KeepDetached
//
// The catalog row's state records the last completed step; a re-run resumes from there,
// so a crash at any point ends, after a re-run, with the partition archived exactly once
// and no rows lost. Each step is idempotent: an object left by a crashed run is verified
// (and exported again when it fails, e.g. truncated); a partition written to since its
// export is exported again before anything is detached, or before the drop when the
// write came after the detach.
//
// # The write guard
//
// Before its export takes its snapshot, a partition gets two triggers, named after the
// catalog's schema (lsos_archive_guard for INSERT, UPDATE and DELETE, one per row;
// lsos_archive_guard_truncate for TRUNCATE), ENABLE ALWAYS so they fire under
// session_replication_role = replica too. They call the catalog's note_write function
// (SECURITY DEFINER: the writing roles need no privilege on the SDK's schema), which
// notes the partition in the catalog's writes table in the writer's own transaction: a
// write rolled back leaves no note. The verify step and the drop step read the note
// instead of scanning the partition, and the drop step reads it under the lock its DROP
// holds, so no write slips in between; an UPDATE that keeps the row count stops the
// archive too. Creating the triggers takes a SHARE ROW EXCLUSIVE lock on the partition
// for the moment of the DDL (writers wait, readers do not). A partition without a
// working guard (one that is not a plain table, such as a partition partitioned in turn,
// whose writes would be noted under the leaf they land in; a catalog installed by another
// role that keeps EXECUTE on the function to itself; triggers dropped or disabled by
// hand) has its rows counted at both steps
// instead, as before the guard existed, and the run logs why. The guard stays on a
// partition whose archive stopped part-way, for the re-run; the drop removes it with the
// table, and a kept copy loses it.
//
// One scan of the data: eligibility finds the tenants of a partition through its
// tenant-leading index (package retention, EligibilityOptions.TenantsOnly), the export
// counts the rows per tenant as they stream (integer, uuid, numeric, text and varchar
// tenant columns; other types are counted by a query after the export), and the verify
// step reads the object's bytes, not its rows; rows written since the export are caught
// by the write guard, not by counting. A legal hold in force (package retention) on the
// partition or on the parent it was detached from stops before the drop and leaves the
// partition detached; names go to the hold check quoted, so a mixed-case or quoted name is
// matched exactly, and a hold that cannot be checked stops the drop. Every step is
// appended to the event log (events, beside the catalog) in the same statement that records its
// catalog state, so the audit trail is complete after any crash and re-run (a step done
// outside a transaction, such as DETACH … CONCURRENTLY, is recorded with its event by the
// re-run that finds it done). Several workers may run at once: a per-partition advisory lock
// gives each partition to one of them. The module's crash tests stop runs at each step
// through hooks that are not part of the API.
//
// # The catalog's schema follows the policy
//
// The catalog and its event log live in one of the SDK's own schemas, named by the
// policy's sdk.prefix: p.SDKSchema("archive") ([governance.Policy.SDKSchema]), which is
// [Schema], lsos_archive, with the default prefix and ops_archive with sdk.prefix ops_;
// the legal holds a drop obeys and the purge audit records are package retention's, in
// the same policy's retention schema. The pattern, the same in packages retention and
// integrity:
//
//   - Functions that take a policy use its schemas: [Run] and [PurgeTenant]
//     ([PurgeOptions].Policy).
//   - The ones that take none are methods of [Bookkeeping], made for a policy by [For]:
//     For(p).Install, Get, List, Find, RebuildCatalog, Restore, Open, Verify,
//     RecordPurgeSkipped.
//   - The package-level functions of the same names are For(nil)'s: the default policy,
//     lsos_archive, exactly as before the schema followed the policy.
//
// Changing sdk.prefix does not move an existing catalog: the first install under the
// new prefix refuses while lsos_archive holds it (rename it: ALTER SCHEMA lsos_archive
// RENAME TO ops_archive).
//
// # Catalog and manifests
//
// [Bookkeeping.Install] creates and upgrades the policy's schema with the module's
// migrate engine: [Migrations] is a native migration directory whose revisions are
// recorded in the schema's revisions table, applied under the migrator's advisory lock
// (safe from many replicas at once; a catalog an earlier SDK created is adopted as it
// is). The shipped files name lsos_archive; under another prefix the installer runs them
// with the policy's schema (quoted) in its place and records the shipped files'
// checksums. [Run] calls it. [List], [Find] and [Get] read the catalog; a [Manifest] holds the partition's bounds, row count, size,
// SHA-256, per-column null counts and min/max (numbers and times only: no text value that
// could be sensitive), DDL, index and constraint definitions, the tenants present with
// row counts, the policy version, who and when. [RebuildCatalog] re-creates the catalog
// from the manifests in the store; [ReadManifests] lists them without a database.
//
// # Manifest integrity
//
// Whoever can write to the bucket can rewrite a manifest, so no text from a manifest is
// ever run as SQL, and each manifest carries a SHA-256 that is checked before it is used:
//
//   - Each manifest is stored with the SHA-256 of its bytes in the object's metadata
//     (lsos-manifest-sha256, written in the same request as the bytes), and the catalog
//     row keeps the exact bytes (manifest_json) and the hash (manifest_sha256).
//   - [Restore] checks the catalog's manifest against the catalog's hash, [Verify]
//     also checks the store's manifest against the hash beside it and the catalog's,
//     and [ReadManifests] and [RebuildCatalog] check each manifest in the store
//     against the hash beside it. A mismatch is a [*ManifestError] naming the archive
//     and the manifest object (errors.Is [ErrManifestTampered]); nothing from that
//     manifest is used. [RebuildCatalog] checks every manifest before it records any,
//     and [PurgeTenant] checks the catalog's before it records a rewritten one.
//   - The hash only proves that the manifest is the one written with it: an attacker
//     who rewrites both gets past it. So [Restore] uses no manifest text as SQL
//     anyway. Names are quoted by this package. Each column type is sent to the
//     server as a bind parameter (to_regtype, the type's own modifier function,
//     format_type) and must come back spelled exactly as the manifest spells it; only
//     the server's spelling goes into CREATE TABLE and casts. Re-attach bounds are
//     rendered from the manifest's from/to times as literals this package quotes,
//     after checking that the recorded bound text is a single-column time range
//     saying the same (anything else — list or hash partitions, other key types — is
//     refused: restore into a new table and attach it by hand). Index definitions are
//     rebuilt as described under Retrieval. Every statement Restore builds runs alone
//     over the extended protocol, which refuses a second statement. A refused value is
//     a [*ManifestError] ([ErrManifestInvalid]) naming the field, before anything runs.
//   - Archives recorded before manifests were hashed have no hash in the catalog or the
//     store. [Restore] and [Verify] accept them, and Restore logs a warning to
//     [Target.Logger]; every check of the previous point still applies.
//     [RebuildCatalog] refuses a manifest without a hash ([ErrManifestUnhashed]) unless
//     given [TrustUnhashedManifests], and records it without one, so that restoring it
//     warns too.
//
// The hash is over the exact stored bytes, not a re-encoding, so manifests written by
// another SDK version (with fields this one does not know) still match. A
// [Run] interrupted between writing the final manifest and recording its state leaves
// the two apart until it is re-run; [Verify] says so.
//
// # Stores
//
// Stores are [gocloud.dev/blob] buckets; any *blob.Bucket works, and [OpenBucket] opens
// one from a URL with file:// defaults that keep uploads atomic. This package registers
// no blob driver, so a program that archives to a local directory does not link the AWS
// SDK: the program (its main package, or the test) registers the drivers it uses with a
// blank import:
//
//	import (
//		_ "gocloud.dev/blob/fileblob" // file:///var/lib/lsos/archive
//		_ "gocloud.dev/blob/s3blob"   // s3://bucket?region=…
//	)
//
// For an S3-compatible server give the endpoint and path-style addressing:
//
//	s3://archive?region=us-east-1&endpoint=http://127.0.0.1:9000&use_path_style=true&request_checksum_calculation=when_required&response_checksum_validation=when_required
//
// (response_checksum_validation=when_required keeps the AWS SDK from warning on every read
// from a server that returns no checksums; gocloud.dev v0.47 accepts both parameters.)
//
// Object keys hold only catalog names: prefix/schema.parent/schema.partition/id.parquet.
//
// # Store failures
//
// Every store request has a deadline ([StoreOptions.RequestTimeout], 2 minutes by
// default; in a streaming upload or download each write or read must make progress
// within it), so a frozen server fails the run instead of hanging it. A failure of the
// store is a [*StoreError] (errors.Is [ErrStore]) naming the partition, the operation and
// the store ([StoreOptions.URL] without its query, which is never printed), classified:
// permanent (access denied, bad credentials, a missing bucket, a bad request) or
// transient (no answer, refused connection, server errors, throttling), which [Run]
// tries again with exponential backoff ([StoreOptions.Attempts], [StoreOptions.Backoff]).
// Either stops the run at that partition: the others share the store. Nothing is
// detached or dropped, and a failed upload leaves no catalog entry behind.
//
// [Verify] tells the two apart for an archive: a store it cannot read is a [*StoreError]
// matching [ErrUnreadable] (the archive was not checked), an object that does not match
// or is missing from a readable store is a [*VerifyError] matching [ErrCorrupt].
//
// A process killed mid-upload leaves a staging file ("….parquet.<hex>.tmp") in a file://
// store, or an unfinished multipart upload on S3. [Run] first removes those under its
// prefix older than [StoreOptions.LeftoverAge] (24 hours by default): staging files
// itself ([SweepTemp]), multipart uploads through [StoreOptions.SweepUploads], which a
// program archiving to S3 sets to s3sweep.AbortStale (package archive/s3sweep; kept apart
// so that this package links no AWS SDK).
//
// Memory: an export holds a row group and its upload buffers, whatever the partition's
// size. On S3 the SDK's transfer manager reads 16 MiB before it chooses a multipart
// upload and keeps a part buffer per part in flight plus one; set
// [StoreOptions.BeforeWrite] to s3upload.Lean(bucket, 0) (package archive/s3upload)
// to go multipart from the first 5 MiB part with one part in flight.
//
// # Retrieval
//
// [Restore] loads an archive into a new table, or re-attaches it with its original bounds,
// checking the checksum before loading and the row count after, in one transaction. A
// new table gets the partition's indexes from the manifest, built after the load and
// named after the table ([Target.NoIndexes] turns this off); a re-attached partition
// gets the parent's indexes from the ATTACH. The manifest's index definitions are never
// executed as stored: each must be one CREATE INDEX on the archived partition, and the
// statement is rebuilt with the new name and table quoted by this package.
// [Open] streams the rows for read-only tools (a [Reader], columns with their
// [ColumnKind]); [Verify] re-checks an object.
//
// # Kept copies and purged tenants
//
// With KeepDetached the detached table moves to [Options.DetachedSchema], one of the
// SDK's schemas (the policy's "archive_detached", lsos_archive_detached by default), after its foreign
// keys are dropped: the archive object is the record, and a copy that still referenced
// live parents would make a tenant's hard delete fail half-way. When a tenant is purged
// (retention's offboarding), [PurgeTenant] removes its rows from every archive that
// lists it, unless a legal hold covers the archive: each object is rewritten without the
// tenant to a new key, verified, switched in the catalog and manifest in one transaction
// (with the tenant's rows deleted from a kept copy), and only then is the old object
// deleted; a crash at any step and a re-run end consistent, and each archive's purge is
// an audit record in the deletions table of the policy's retention schema
// (lsos_retention.deletions by default; kind archive-purge). [RecordPurgeSkipped]
// records, with its reason, a decision to keep the rows (a preservation order).
//
// # Privileges
//
// [Run] checks before its first step that the role can do the destructive ones: owner
// rights on the parent (DETACH) and the partition (DROP), and SELECT on the legal holds
// table when the default hold check is used. A role that lacks one gets a
// [PrivilegeError] (errors.Is [ErrPrivilege]) naming the privilege, the step and what to
// grant, before anything is exported, so no half-archived partition is left. The roles
// each operation needs are in RELIABILITY.md.
//
// # pg_partman
//
// Parents managed by pg_partman (4.x with p_type 'native', 5.x with 'range') are archived
// like any declarative partitioned table, without fighting pg_partman's maintenance:
//
//   - Eligibility comes from package retention, which blocks pg_partman's default
//     partition (it has no bounded range) and never sees its template table (not a
//     partition of the parent); naming either in [Options.Partitions] is an error.
//   - The detach takes pg_partman's maintenance lock (the advisory lock run_maintenance
//     tries first) while it changes the parent: a maintenance round that starts meanwhile
//     skips, as pg_partman does when another round runs, and a running one is waited for
//     (reported once as "waiting for pg_partman maintenance to finish"). The lock is held
//     for the detach only, never during the export.
//   - run_maintenance afterwards creates partitions ahead of the newest one and never
//     re-creates the archived months; a second [Run] finds nothing to do.
//   - pg_partman's own retention (part_config.retention) would remove partitions without
//     archiving them. [Run] reads part_config ([Partman]) and refuses a parent whose
//     retention drops tables (retention_keep_table = false) or moves them away
//     (retention_schema), with a [PartmanRetentionError] ([ErrPartmanRetention]) that
//     says what to change, before any step and in a dry run too. A retention that only
//     detaches in place (retention_keep_table = true, no retention_schema) loses no row,
//     so the run goes on with a warning in [Report.Warnings]: partitions pg_partman
//     detached first stay as standalone tables and are not archived. The intended setup
//     is retention = NULL: archive.Run applies the policy's retention and drops only what
//     it archived and verified; pg_partman keeps creating future partitions.
//
// pg_partman's background worker calls the same run_maintenance and is coordinated the
// same way; CREATE EXTENSION pg_partman itself needs no shared_preload_libraries (only
// the worker does). On Debian the package is postgresql-15-partman (the server's major
// version); this package's tests need it and fail, naming it, when it is missing.
package archive
