package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/faults"
	"github.com/lsos/lsosgov/internal/parquetio"
	"github.com/lsos/lsosgov/internal/sqlident"
	"github.com/lsos/lsosgov/retention"
)

// StepPurge is the event-log step of a tenant purge from an archive.
const StepPurge Step = "purge"

// Purge crash points for PurgeOptions.crashAfter (fault-injection tests).
const (
	purgeCrashAfterRewrite = "rewrite" // new object uploaded and verified, manifest written, catalog unchanged
	purgeCrashAfterSwitch  = "switch"  // catalog points at the new object, old object not yet deleted
)

// PurgeOperation is the operation under which [PurgeTenant] writes its audit records in
// lsos_retention.deletions (kind "archive-purge", one row per archive, table_name = the
// archive id).
func PurgeOperation(tenant string) string { return "archive-purge:" + tenant }

// Errors of PurgeTenant.
var (
	// ErrPurgeIncomplete: some archives still hold the tenant's rows (a legal hold, an
	// archive still in progress, another worker); the error lists them. Re-run later.
	ErrPurgeIncomplete = errors.New("archive: tenant purge incomplete")
	// ErrTenantNotPurged: the tenant's hard delete has not completed.
	ErrTenantNotPurged = errors.New("archive: the tenant is not purged from the database")
)

// PurgeOptions configure [PurgeTenant].
type PurgeOptions struct {
	// Policy gives the tenant column, the policy version and the SDK's schemas: the
	// catalog in p.SDKSchema("archive"), the offboarding state, legal holds and purge
	// audit records in p.SDKSchema("retention") (default governance.Default(): lsos_archive
	// and lsos_retention).
	Policy *governance.Policy
	// Actor is recorded as who purged (default: the database's current_user).
	Actor string
	// Now is the clock (default time.Now); it decides which legal holds are in force.
	Now func() time.Time
	// Holds decides legal holds (default: package retention, as [Run] does).
	Holds HoldFunc
	// AllowUnpurged purges archives of a tenant whose offboarding has not reached
	// "purged" (e.g. an erasure request served outside the offboarding flow). By default
	// PurgeTenant refuses, so a mistyped id cannot erase a live customer's history.
	AllowUnpurged bool
	// Export tunes the Parquet writer of the rewritten objects.
	Export ExportOptions
	// Logger receives structured logs (nil: discard); Progress receives events.
	Logger   *slog.Logger
	Progress func(Event)
	// crashAfter stops after a named point (purgeCrashAfterRewrite or
	// purgeCrashAfterSwitch) for fault-injection tests (export_test.go, internal/faults).
	crashAfter string
}

// PurgeResult is what PurgeTenant did.
type PurgeResult struct {
	Tenant   string          `json:"tenant"`
	Archives []PurgedArchive `json:"archives"`
	// Blocked lists archives left as they were: a legal hold (with its ids), an archive
	// still in progress, or one locked by another worker.
	Blocked []PurgeBlocked `json:"blocked,omitempty"`
}

// Rows returns the tenant rows removed from archives in this run.
func (r *PurgeResult) Rows() int64 {
	var n int64
	for _, a := range r.Archives {
		n += a.RowsRemoved
	}
	return n
}

// PurgedArchive is one archive rewritten without the tenant.
type PurgedArchive struct {
	ID          string `json:"id"`
	Partition   string `json:"partition"`
	OldObject   string `json:"old_object"`
	Object      string `json:"object"`
	RowsRemoved int64  `json:"rows_removed"`
	Rows        int64  `json:"rows"` // rows left in the archive
	SHA256      string `json:"sha256"`
	// Resumed is set when this run finished a purge a crashed run had switched.
	Resumed bool `json:"resumed,omitempty"`
}

// PurgeBlocked is an archive the purge could not rewrite, and why.
type PurgeBlocked struct {
	ID        string   `json:"id"`
	Partition string   `json:"partition"`
	Reason    string   `json:"reason"`
	HoldIDs   []string `json:"hold_ids,omitempty"`
}

// PurgeIncompleteError lists the archives that still hold the tenant's rows.
type PurgeIncompleteError struct {
	Tenant  string
	Blocked []PurgeBlocked
}

func (e *PurgeIncompleteError) Error() string {
	parts := make([]string, len(e.Blocked))
	for i, b := range e.Blocked {
		parts[i] = b.ID + ": " + b.Reason
	}
	return fmt.Sprintf("archive: %d archive(s) still hold rows of tenant %s: %s; re-run the purge once resolved", len(e.Blocked), e.Tenant, strings.Join(parts, "; "))
}

// Unwrap makes errors.Is(err, ErrPurgeIncomplete) true, and errors.Is(err,
// retention.ErrHeld) when a legal hold blocked an archive.
func (e *PurgeIncompleteError) Unwrap() []error {
	out := []error{ErrPurgeIncomplete}
	if slices.ContainsFunc(e.Blocked, func(b PurgeBlocked) bool { return len(b.HoldIDs) > 0 }) {
		out = append(out, retention.ErrHeld)
	}
	return out
}

// PurgeTenant removes the rows of tenant from every archive that holds them (policy §8:
// purging a tenant also purges its rows from partition archives exported before the
// hard delete, unless a legal hold covers them). For each catalog entry whose manifest
// lists the tenant:
//
//	check   legal holds on the partition and its parent for the tenant (a hold blocks;
//	        the archive is reported with the hold ids and left as it is)
//	record  an audit record in the policy's retention schema, deletions (lsos_retention
//	        by default; kind archive-purge) naming the
//	        old object, its checksum and the new key
//	rewrite stream the object into a new key without the tenant's rows (the source's
//	        checksum must match the catalog first), verify it (rows = old − tenant rows,
//	        sha256) and write its manifest
//	switch  in one transaction: the catalog row (object, rows, bytes, sha256, tenants,
//	        column stats, manifest), the tenant's rows of a kept detached table, the
//	        event log and the audit record
//	delete  the old object and its manifest, then mark the audit record finished
//
// The old object stays valid until the catalog points at a verified new one, so there is
// never a moment where neither is; a re-run after a crash at any point either redoes the
// rewrite (same new key) or finishes the delete. Running it again once done changes
// nothing. Archives not yet complete (still attached or detached but not dropped) are
// reported, not rewritten: finish archive.Run first, since those copies come from the
// database, where the hard delete already removed the tenant. Until a re-run completes,
// a store holding both manifests of one archive would give [RebuildCatalog] two
// candidates for it; rebuild only after the purge finished.
//
// The tenant must be purged from the database (retention offboarding state "purged")
// unless AllowUnpurged is set. The returned error is a [PurgeIncompleteError] when some
// archives still hold the tenant's rows; the result lists what was done either way.
func PurgeTenant(ctx context.Context, db TxDB, store *blob.Bucket, tenant string, opts PurgeOptions) (*PurgeResult, error) {
	if opts.crashAfter == "" {
		opts.crashAfter = faults.CrashAfter(ctx)
	}
	if strings.TrimSpace(tenant) == "" {
		return nil, errors.New("archive: purge: tenant id is required")
	}
	if store == nil {
		return nil, errors.New("archive: purge: no store; open the archive bucket (archive.OpenBucket or any *blob.Bucket) and pass it")
	}
	if opts.Policy == nil {
		opts.Policy = governance.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	bk := For(opts.Policy)
	if opts.Holds == nil {
		opts.Holds = bk.holds()
	}
	switch opts.crashAfter {
	case "", purgeCrashAfterRewrite, purgeCrashAfterSwitch:
	default:
		return nil, fmt.Errorf("archive: purge: crash point %q is not a purge crash point (rewrite, switch)", opts.crashAfter)
	}
	if err := bk.Install(ctx, db); err != nil {
		return nil, err
	}
	if err := bk.retention().Install(ctx, db); err != nil {
		return nil, err
	}
	if opts.Actor == "" {
		if err := db.QueryRow(ctx, `SELECT current_user`).Scan(&opts.Actor); err != nil {
			return nil, fmt.Errorf("archive: purge: %w", err)
		}
	}
	if !opts.AllowUnpurged {
		var state *string
		err := db.QueryRow(ctx, `SELECT state FROM `+bk.retentionTable("offboarding")+` WHERE tenant_id = $1`, tenant).Scan(&state)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("archive: purge: read offboarding state: %w", err)
		}
		if state == nil || *state != "purged" {
			s := "active"
			if state != nil {
				s = *state
			}
			return nil, fmt.Errorf("%w: tenant %s is %s; finish the hard delete (retention.Offboarder.HardDelete) first, or set AllowUnpurged for an erasure outside offboarding", ErrTenantNotPurged, tenant, s)
		}
	}
	op := PurgeOperation(tenant)
	entries, err := query(ctx, db, `SELECT `+entryCols+` FROM `+bk.table("archives")+`
		WHERE $1 = ANY(tenants)
		   OR id IN (SELECT table_name FROM `+bk.retentionTable("deletions")+` WHERE operation = $2 AND kind = 'archive-purge' AND finished_at IS NULL)
		ORDER BY parent, range_from, partition`, tenant, op)
	if err != nil {
		return nil, err
	}
	p := &purger{db: db, store: store, bk: bk, tenant: tenant, op: op, opts: opts}
	res := &PurgeResult{Tenant: tenant, Archives: []PurgedArchive{}}
	var errs []error
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		pa, blocked, err := p.one(ctx, e)
		switch {
		case err != nil:
			errs = append(errs, &StepError{Partition: e.Partition, ID: e.ID, Step: StepPurge, Err: err})
			if errors.Is(err, errCrash) {
				return res, errors.Join(errs...)
			}
		case blocked != nil:
			res.Blocked = append(res.Blocked, *blocked)
		case pa != nil:
			res.Archives = append(res.Archives, *pa)
		}
	}
	if len(res.Blocked) > 0 {
		errs = append(errs, &PurgeIncompleteError{Tenant: tenant, Blocked: res.Blocked})
	}
	return res, errors.Join(errs...)
}

// RecordPurgeSkipped is For(nil).RecordPurgeSkipped: the default policy's retention
// schema (lsos_retention).
func RecordPurgeSkipped(ctx context.Context, db TxDB, tenant, reason, actor string, at time.Time) error {
	return For(nil).RecordPurgeSkipped(ctx, db, tenant, reason, actor, at)
}

// RecordPurgeSkipped writes the audit record of a decision not to purge a tenant's rows
// from the archives (kind archive-purge-skipped, with the reason) to package retention's
// deletions table under b's policy, for the offboarding flows that skip [PurgeTenant]. A
// reason is required: the record must say why.
func (b Bookkeeping) RecordPurgeSkipped(ctx context.Context, db TxDB, tenant, reason, actor string, at time.Time) error {
	if strings.TrimSpace(tenant) == "" || strings.TrimSpace(reason) == "" || strings.TrimSpace(actor) == "" {
		return errors.New("archive: record skipped purge: tenant, reason and actor are required (the audit record must say who skipped it and why)")
	}
	if err := b.retention().Install(ctx, db); err != nil {
		return err
	}
	_, err := db.Exec(ctx, `INSERT INTO `+b.retentionTable("deletions")+` (operation, table_name, kind, tenant_id, actor, note, started_at, finished_at)
		VALUES ($1, '*', 'archive-purge-skipped', $2, $3, $4, $5, $5)
		ON CONFLICT (operation, table_name) DO UPDATE SET note = EXCLUDED.note, actor = EXCLUDED.actor, finished_at = EXCLUDED.finished_at`,
		PurgeOperation(tenant), tenant, actor, reason, at)
	if err != nil {
		return fmt.Errorf("archive: record skipped purge of tenant %s: %w", tenant, err)
	}
	return nil
}

type purger struct {
	db     TxDB
	store  *blob.Bucket
	bk     Bookkeeping // the catalog of opts.Policy
	tenant string
	op     string
	opts   PurgeOptions
}

// purgeRecord is the audit row of one archive's purge.
type purgeRecord struct {
	source   string // the object the purge replaces
	target   string // the object it writes (archived_to)
	finished bool
}

// purgedKey is the new object's key: next to the archive's object, named after the
// archive id and a hash of the source checksum and the tenant, so a re-run writes the
// same key and no tenant id appears in it.
func purgedKey(e Entry, tenant string) string {
	h := sha256.Sum256([]byte(e.SHA256 + "\x00" + tenant))
	return path.Dir(e.Object) + "/" + e.ID + "-" + hex.EncodeToString(h[:6]) + dataSuffix
}

// one purges the tenant from archive e, on one connection holding the partition's
// advisory lock (the lock archive.Run takes, so the two never work on it at once).
func (p *purger) one(ctx context.Context, e Entry) (pa *PurgedArchive, blocked *PurgeBlocked, err error) {
	err = p.withConn(ctx, func(conn TxDB) error {
		var got bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('`+lockSpace+`'), hashtext($1))`, e.Partition).Scan(&got); err != nil {
			return err
		}
		if !got {
			blocked = &PurgeBlocked{ID: e.ID, Partition: e.Partition, Reason: "locked by another worker (archive run or purge)"}
			return nil
		}
		defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext('`+lockSpace+`'), hashtext($1))`, e.Partition)
		cur, err := p.bk.Get(ctx, conn, e.ID) // as of now, under the lock
		if err != nil {
			return err
		}
		pa, blocked, err = p.purge(ctx, conn, cur)
		return err
	})
	return pa, blocked, err
}

func (p *purger) withConn(ctx context.Context, fn func(TxDB) error) error {
	return onOneConn(ctx, p.db, fn)
}

func (p *purger) purge(ctx context.Context, db TxDB, e Entry) (*PurgedArchive, *PurgeBlocked, error) {
	// The rewritten manifest is recorded with a new hash: never from a tampered one.
	if _, err := checkCatalogManifest(&e); err != nil {
		return nil, nil, err
	}
	rec, err := p.record(ctx, db, e.ID)
	if err != nil {
		return nil, nil, err
	}
	if rec != nil && !rec.finished && e.Object != rec.source && e.Object != rec.target && rec.target != "" {
		// A crashed run wrote its copy but never switched the catalog, and since then
		// another purge (another tenant's) replaced the object it copied: that copy is
		// of a version no longer in the catalog. Delete it and purge the current object.
		for _, k := range []string{manifestKey(rec.target), rec.target} {
			if err := p.store.Delete(ctx, k); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
				return nil, nil, fmt.Errorf("delete the stale copy %s of a crashed purge: %w (re-run the purge)", k, err)
			}
		}
	}
	if rec != nil && !rec.finished && e.Object == rec.target {
		// A crashed run switched the catalog: only the old object is left to delete.
		pa := &PurgedArchive{ID: e.ID, Partition: e.Partition, OldObject: rec.source, Object: e.Object, Rows: e.Rows, SHA256: e.SHA256, Resumed: true}
		if err := writeEntryManifest(ctx, p.store, &e); err != nil {
			return nil, nil, err
		}
		return pa, nil, p.finish(ctx, db, e, e.Object, rec.source)
	}
	var tenantRows int64 = -1
	for _, t := range e.Manifest.Tenants {
		if t.Tenant == p.tenant {
			tenantRows = t.Rows
		}
	}
	if tenantRows < 0 {
		// Listed by an unfinished record only, yet the catalog no longer lists the
		// tenant and still names the source: nothing to remove; close the record.
		if rec != nil && !rec.finished {
			_, err := db.Exec(ctx, `UPDATE `+p.bk.retentionTable("deletions")+` SET finished_at = $3, note = 'the archive no longer lists the tenant'
				WHERE operation = $1 AND table_name = $2`, p.op, e.ID, p.opts.Now())
			return nil, nil, err
		}
		return nil, nil, nil
	}
	if !e.Complete() {
		return nil, &PurgeBlocked{ID: e.ID, Partition: e.Partition, Reason: fmt.Sprintf("archive in progress (state %s): finish archive.Run, then re-run the purge", e.State)}, nil
	}
	if ids, err := p.holds(ctx, db, e); err != nil {
		return nil, nil, fmt.Errorf("check legal holds: %w", err)
	} else if len(ids) > 0 {
		return nil, &PurgeBlocked{ID: e.ID, Partition: e.Partition, HoldIDs: ids,
			Reason: fmt.Sprintf("legal hold %s covers the tenant's rows; they stay in the archive until it is released", strings.Join(ids, ", "))}, nil
	}
	key := purgedKey(e, p.tenant)
	if _, err := db.Exec(ctx, `INSERT INTO `+p.bk.retentionTable("deletions")+` (operation, table_name, kind, tenant_id, actor, policy_version, archived_to, source_object, source_sha256, started_at)
		VALUES ($1, $2, 'archive-purge', $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (operation, table_name) DO UPDATE SET archived_to = EXCLUDED.archived_to, source_object = EXCLUDED.source_object,
			source_sha256 = EXCLUDED.source_sha256, finished_at = NULL`,
		p.op, e.ID, p.tenant, p.opts.Actor, p.opts.Policy.Version, key, e.Object, e.SHA256, p.opts.Now()); err != nil {
		return nil, nil, fmt.Errorf("start audit record: %w", err)
	}
	start := time.Now()
	eo := p.opts.Export.internal()
	eo.Metadata = map[string]string{"lsos.archive.purged_from": e.SHA256}
	rw, err := parquetio.Rewrite(ctx, p.store, e.Object, key, p.opts.Policy.Tenant.Column, []string{p.tenant}, e.SHA256, eo)
	if err != nil {
		return nil, nil, asVerify(err)
	}
	want := e.Rows - tenantRows
	if rw.SourceRows != e.Rows || rw.Removed != tenantRows || rw.Rows != want {
		return nil, nil, fmt.Errorf("%w: %s had %d rows with %d of tenant %s; the copy removed %d and kept %d (want %d); the catalog is unchanged",
			ErrVerify, e.Object, rw.SourceRows, tenantRows, p.tenant, rw.Removed, rw.Rows, want)
	}
	if err := parquetio.Verify(ctx, p.store, key, rw.SHA256, want); err != nil {
		return nil, nil, asVerify(err)
	}
	m := e.Manifest
	m.Object, m.Rows, m.Bytes, m.SHA256 = key, rw.Rows, rw.Bytes, rw.SHA256
	m.Tenants = slices.DeleteFunc(slices.Clone(m.Tenants), func(t TenantRows) bool { return t.Tenant == p.tenant })
	m.Columns = slices.Clone(m.Columns)
	if len(rw.Columns) != len(m.Columns) {
		return nil, nil, fmt.Errorf("%w: the copy has %d columns, the manifest %d", ErrVerify, len(rw.Columns), len(m.Columns))
	}
	for i, c := range rw.Columns {
		m.Columns[i].Kind, m.Columns[i].Nulls, m.Columns[i].Min, m.Columns[i].Max = ColumnKind(c.Kind), c.Nulls, c.Min, c.Max
	}
	if err := writeManifest(ctx, p.store, &m); err != nil {
		return nil, nil, err
	}
	p.report(ctx, Event{Partition: e.Partition, ID: e.ID, Step: StepPurge, Rows: tenantRows, Detail: "rewritten without the tenant's rows; verified"})
	if p.opts.crashAfter == purgeCrashAfterRewrite {
		return nil, nil, errCrash
	}
	if err := p.switchCatalog(ctx, db, e, &m, tenantRows, time.Since(start)); err != nil {
		return nil, nil, err
	}
	if p.opts.crashAfter == purgeCrashAfterSwitch {
		return nil, nil, errCrash
	}
	pa := &PurgedArchive{ID: e.ID, Partition: e.Partition, OldObject: e.Object, Object: key, RowsRemoved: tenantRows, Rows: m.Rows, SHA256: m.SHA256}
	return pa, nil, p.finish(ctx, db, e, key, e.Object)
}

// record reads the audit record of this purge of archive id (nil when none).
func (p *purger) record(ctx context.Context, db DB, id string) (*purgeRecord, error) {
	var r purgeRecord
	var src, dst *string
	var fin *time.Time
	err := db.QueryRow(ctx, `SELECT source_object, archived_to, finished_at FROM `+p.bk.retentionTable("deletions")+`
		WHERE operation = $1 AND table_name = $2 AND kind = 'archive-purge'`, p.op, id).Scan(&src, &dst, &fin)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read purge record: %w", err)
	}
	r.finished = fin != nil
	if src != nil {
		r.source = *src
	}
	if dst != nil {
		r.target = *dst
	}
	return &r, nil
}

// holds returns the ids of legal holds in force on the tenant's rows of the archived
// partition or its parent.
func (p *purger) holds(ctx context.Context, db DB, e Entry) ([]string, error) {
	part, err := exactName(e.Manifest.PartitionName, e.Manifest.Partition)
	if err != nil {
		return nil, err
	}
	parent, err := exactName(e.Manifest.TableName, e.Manifest.Table)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range []governance.QualifiedName{part, parent} {
		ids, err := p.opts.Holds(ctx, db, n.Quoted(), []string{p.tenant}, p.opts.Now())
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// switchCatalog points the catalog at the verified new object, in one transaction with
// the kept detached table's delete, the event and the audit record's counts.
func (p *purger) switchCatalog(ctx context.Context, db TxDB, e Entry, m *Manifest, tenantRows int64, took time.Duration) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	b, sum, err := encodeManifest(m) // the bytes written to the store, and their hash
	if err != nil {
		return err
	}
	tenants := m.tenantIDs()
	now := p.opts.Now()
	tag, err := tx.Exec(ctx, `UPDATE `+p.bk.table("archives")+` SET object = $2, manifest_object = $3, rows = $4, bytes = $5, sha256 = $6,
		tenants = $7, manifest = $8, updated_at = $9, manifest_json = $12, manifest_sha256 = $13 WHERE id = $1 AND object = $10 AND sha256 = $11`,
		e.ID, m.Object, manifestKey(m.Object), m.Rows, m.Bytes, m.SHA256, tenants, b, now, e.Object, e.SHA256, string(b), sum)
	if err != nil {
		return fmt.Errorf("update catalog: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("%w: catalog entry %s changed during the purge; re-run it", ErrVerify, e.ID)
	}
	if e.State == stateKept && m.Detached != "" {
		// The kept detached table is a copy of the archive: it loses the same rows.
		// The exact name: the plain text would fold a mixed-case name if parsed as SQL.
		// (Manifests from before DetachedName: the text split at its first dot, as it
		// was written, since the archive schema holds no dot.)
		dn, err := exactName(m.DetachedName, m.Detached)
		if err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, dn.Quoted()).Scan(&exists); err != nil {
			return err
		}
		if exists {
			tag, err := tx.Exec(ctx, `DELETE FROM `+dn.Quoted()+` WHERE `+sqlident.Quote(p.opts.Policy.Tenant.Column)+`::text = $1`, p.tenant)
			if err != nil {
				return fmt.Errorf("delete the tenant's rows from the kept table %s: %w", dn, err)
			}
			if tag.RowsAffected() != tenantRows {
				return fmt.Errorf("%w: the kept table %s held %d rows of tenant %s, the archive %d; nothing was changed", ErrVerify, dn, tag.RowsAffected(), p.tenant, tenantRows)
			}
		}
	}
	detail := fmt.Sprintf("removed %d row(s) of a purged tenant; %s replaces %s (sha256 %s)", tenantRows, m.Object, e.Object, m.SHA256)
	if _, err := tx.Exec(ctx, `INSERT INTO `+p.bk.table("events")+` (archive_id, partition, step, detail, actor, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		e.ID, e.Partition, string(StepPurge), detail, p.opts.Actor, now); err != nil {
		return fmt.Errorf("write event: %w", err)
	}
	ms := float64(took.Microseconds()) / 1000
	if _, err := tx.Exec(ctx, `UPDATE `+p.bk.retentionTable("deletions")+` SET rows_deleted = $3, batches = 1, busy_ms = $4, longest_batch_ms = $4,
		result_sha256 = $5, archived_to = $6 WHERE operation = $1 AND table_name = $2`, p.op, e.ID, tenantRows, ms, m.SHA256, m.Object); err != nil {
		return fmt.Errorf("update audit record: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	p.report(ctx, Event{Partition: e.Partition, ID: e.ID, Step: StepPurge, Rows: tenantRows, Detail: "catalog switched to " + m.Object})
	return nil
}

// finish deletes the old object and its manifest (already gone is fine) and closes the
// audit record.
func (p *purger) finish(ctx context.Context, db DB, e Entry, current, old string) error {
	if old != current {
		for _, k := range []string{manifestKey(old), old} {
			if err := p.store.Delete(ctx, k); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
				return fmt.Errorf("delete old object %s: %w (re-run the purge to finish)", k, err)
			}
		}
	}
	if _, err := db.Exec(ctx, `UPDATE `+p.bk.retentionTable("deletions")+` SET finished_at = $3 WHERE operation = $1 AND table_name = $2`, p.op, e.ID, p.opts.Now()); err != nil {
		return fmt.Errorf("finish audit record: %w", err)
	}
	p.report(ctx, Event{Partition: e.Partition, ID: e.ID, Step: StepPurge, Detail: "old object deleted: " + old})
	return nil
}

func (p *purger) report(ctx context.Context, e Event) {
	e.At = p.opts.Now()
	p.opts.Logger.InfoContext(ctx, "archive purge", "tenant", p.tenant, "partition", e.Partition, "id", e.ID, "rows", e.Rows, "detail", e.Detail)
	if p.opts.Progress != nil {
		p.opts.Progress(e)
	}
}
