package retention

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/governance"
)

// SweepOptions configure [Sweep].
type SweepOptions struct {
	// Actor names who runs the sweep (required; it goes into the audit record).
	Actor string
	// Now decides the cutoffs (required; pass time.Now() in production).
	Now time.Time
	// Tables to sweep ("table" or "schema.table"). Default: the unpartitioned tables of
	// category delivery (policy §6 delivery logs). Partitioned tables are archived by
	// partition (package archive), never swept.
	Tables []string
	// Bucket receives every deleted row before its batch commits (one Parquet object per
	// batch plus its manifest). Required unless NoArchive is set.
	Bucket *blob.Bucket
	// Prefix is the object key prefix in Bucket (default "sweeps/").
	Prefix string
	// NoArchive deletes without keeping a copy; only for data the policy allows to lose.
	NoArchive bool
	// BatchSize bounds rows per batch (default policy offboarding.batch_size).
	BatchSize int
	// LockTimeout bounds each batch's wait for locks (default policy migrations.lock_timeout).
	LockTimeout time.Duration
	// Logger receives progress (nil: discard).
	Logger *slog.Logger
	// AfterBatch runs after each committed batch; an error stops the sweep there.
	AfterBatch func(table string, batch int, rows int64) error
}

// Sweep applies row-range retention to unpartitioned tables: rows older than each
// tenant's cutoff are written to the archive store and deleted, in batches of one short
// transaction each. The batch's rows are uploaded before its transaction commits, so a
// failure can duplicate rows in the archive but never lose one. Tenants under a legal
// hold are skipped and reported in Blocked; a table-wide hold skips the table. Each
// table gets an audit record in lsos_retention.deletions (kind sweep).
func Sweep(ctx context.Context, db TxDB, p *governance.Policy, cat *TableCatalog, o SweepOptions) (*DeleteResult, error) {
	if strings.TrimSpace(o.Actor) == "" {
		return nil, fmt.Errorf("retention: sweep: Actor is required (who runs the sweep goes into the audit record)")
	}
	if o.Now.IsZero() {
		return nil, fmt.Errorf("retention: sweep: Now is required; it decides the cutoffs")
	}
	if o.Bucket == nil && !o.NoArchive {
		return nil, fmt.Errorf("retention: sweep: give a Bucket to archive the rows to, or set NoArchive to delete without a copy")
	}
	if o.BatchSize == 0 {
		o.BatchSize = p.Offboarding.BatchSize
	}
	if o.BatchSize <= 0 {
		return nil, fmt.Errorf("retention: sweep: batch size must be above zero; got %d", o.BatchSize)
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = p.Migrations.LockTimeout.Std()
	}
	if o.Prefix == "" {
		o.Prefix = "sweeps/"
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := For(p).requireInstalled(ctx, db); err != nil {
		return nil, err
	}
	rep := Cutoffs(p, cat, o.Now)
	plans, _, err := livePlans(ctx, db, p, cat)
	if err != nil {
		return nil, err
	}
	var targets []*Table
	if len(o.Tables) == 0 {
		for i := range cat.Tables {
			if t := &cat.Tables[i]; !t.Partitioned && t.Category == governance.CategoryDelivery {
				targets = append(targets, t)
			}
		}
	}
	for _, name := range o.Tables {
		t, ok := cat.Find(name)
		if !ok {
			return nil, fmt.Errorf("retention: sweep: no table %q in the catalog", name)
		}
		if t.Partitioned {
			return nil, fmt.Errorf("retention: sweep: %s is partitioned; archive and drop its partitions instead", t.Key())
		}
		targets = append(targets, t)
	}
	res := &DeleteResult{Operation: "sweep:" + o.Now.UTC().Format("20060102T150405Z")}
	for _, t := range targets {
		tc, ok := rep.Find(t.Key())
		if !ok {
			return nil, fmt.Errorf("retention: sweep: %s has no retention category; add it to a retention rule", t.Key())
		}
		if t.TimeColumn == "" {
			return nil, fmt.Errorf("retention: sweep: %s has no time column; set time_column in its retention rule", t.Key())
		}
		tr, blocked, err := sweepTable(ctx, db, p, cat, t, tc, plans, res.Operation, o, log)
		res.Blocked = append(res.Blocked, blocked...)
		if err != nil {
			return res, err
		}
		if tr != nil {
			res.add(*tr)
		}
	}
	return res, nil
}

func sweepTable(ctx context.Context, db TxDB, p *governance.Policy, cat *TableCatalog, t *Table, tc TableCutoff,
	plans map[string]string, op string, o SweepOptions, log *slog.Logger) (*TableResult, []Blocked, error) {
	loc := p.Location()
	counts, err := tenantCounts(ctx, db, t.Name, t.TenantColumn)
	if err != nil {
		return nil, nil, err
	}
	tenants := sortedTenants(counts)
	holds, err := For(p).HoldsBlockingName(ctx, db, t.Name, tenants, o.Now)
	if err != nil {
		return nil, nil, err
	}
	var blocked []Blocked
	heldTenants := map[string]bool{}
	for _, h := range holds {
		if h.TenantID == "" {
			return nil, []Blocked{{Partition: t.Key(), Reason: holdReason([]Hold{h}), HoldIDs: []int64{h.ID}}}, nil
		}
		heldTenants[h.TenantID] = true
		blocked = append(blocked, Blocked{Partition: t.Key(), Tenant: h.TenantID, Reason: holdReason([]Hold{h}), HoldIDs: []int64{h.ID}})
	}
	tenants = slices.DeleteFunc(tenants, func(id string) bool { return heldTenants[id] })
	tcs := cutoffsFor(tc, t, plans, tenants, loc)
	if len(tcs.ids) == 0 {
		return nil, blocked, nil
	}
	archived := ""
	if !o.NoArchive {
		archived = fmt.Sprintf("%s%s/%s/", o.Prefix, t.Key(), strings.ReplaceAll(op, ":", "="))
	}
	if _, err := db.Exec(ctx, `INSERT INTO `+For(p).table("deletions")+` (operation, table_name, kind, cutoff, actor, policy_version, archived_to, started_at)
		VALUES ($1, $2, 'sweep', $3, $4, $5, nullif($6, ''), $7) ON CONFLICT (operation, table_name) DO NOTHING`,
		op, t.Key(), nullTime(tc.Cutoff), o.Actor, p.Version, archived, time.Now()); err != nil {
		return nil, blocked, fmt.Errorf("retention: start audit record for %s: %w", t.Key(), err)
	}
	// Each batch, in one transaction: lock up to BatchSize eligible rows (FOR UPDATE, so
	// they cannot change underneath), write exactly those rows to the store, delete them
	// and check the delete removed as many rows as were archived.
	pick := "SELECT x.ctid FROM " + eligibleJoin(t.Name, t, cat.TenantType) + " LIMIT $3 FOR UPDATE OF x"
	sel := "SELECT d.* FROM " + t.Name.Quoted() + " d WHERE d.ctid = ANY ($1::tid[])"
	del := "DELETE FROM " + t.Name.Quoted() + " d WHERE d.ctid = ANY ($1::tid[])"
	// Number objects after the batches already committed under this operation, so a
	// resumed sweep never overwrites an archived batch (an object written by a batch
	// that then failed to commit is overwritten: its rows were not deleted).
	prev, err := For(p).readTableResult(ctx, db, op, t.Key())
	if err != nil {
		return nil, blocked, err
	}
	batch := prev.Batches
	for {
		n, _, err := For(p).runBatch(ctx, db, o.LockTimeout, op, t.Key(), func(tx pgx.Tx) (int64, error) {
			r, err := tx.Query(ctx, pick, tcs.ids, tcs.cuts, o.BatchSize)
			if err != nil {
				return 0, err
			}
			tids, err := pgx.CollectRows(r, pgx.RowTo[pgtype.TID])
			if err != nil || len(tids) == 0 {
				return 0, err
			}
			if !o.NoArchive {
				m := Manifest{Table: t.Key(), Reason: "sweep", PolicyVersion: p.Version, WrittenAt: time.Now()}
				if !tc.Forever {
					m.Cutoff = fmtTime(tc.Cutoff, loc)
				}
				m, err = exportObject(ctx, tx, o.Bucket, fmt.Sprintf("%sbatch-%06d.parquet", archived, batch+1), sel, []any{tids}, m)
				if err != nil {
					return 0, err
				}
				if m.Rows != int64(len(tids)) {
					return 0, fmt.Errorf("archived %d rows of %d locked; nothing deleted", m.Rows, len(tids))
				}
			}
			tag, err := tx.Exec(ctx, del, tids)
			if err != nil {
				return 0, err
			}
			if tag.RowsAffected() != int64(len(tids)) {
				return 0, fmt.Errorf("deleted %d rows of %d archived; rolled back", tag.RowsAffected(), len(tids))
			}
			return tag.RowsAffected(), nil
		})
		if err != nil {
			return nil, blocked, err
		}
		if n == 0 {
			break
		}
		batch++
		if o.AfterBatch != nil {
			if err := o.AfterBatch(t.Key(), batch, n); err != nil {
				return nil, blocked, fmt.Errorf("%w after batch %d of %s: %w (run the sweep again with the same Now to resume; finished batches stay archived and deleted)", ErrInterrupted, batch, t.Key(), err)
			}
		}
	}
	if _, err := db.Exec(ctx, `UPDATE `+For(p).table("deletions")+` SET finished_at = $3 WHERE operation = $1 AND table_name = $2`, op, t.Key(), time.Now()); err != nil {
		return nil, blocked, fmt.Errorf("retention: finish audit record for %s: %w", t.Key(), err)
	}
	tr, err := For(p).readTableResult(ctx, db, op, t.Key())
	if err != nil {
		return nil, blocked, err
	}
	log.Info("swept", "table", t.Key(), "rows", tr.Rows, "batches", tr.Batches, "longest_batch", tr.LongestBatch)
	return &tr, blocked, nil
}
