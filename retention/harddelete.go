package retention

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// DeletePlan is the ordered hard-delete plan of one tenant (children first).
type DeletePlan struct {
	TenantID string       `json:"tenant_id"`
	Steps    []DeleteStep `json:"steps"`
	// Unscoped lists tables without the tenant column that reference tenant-owned
	// tables; a hard delete refuses while any exist.
	Unscoped []string `json:"unscoped,omitempty"`
}

// DeleteStep is one table of the plan.
type DeleteStep struct {
	Table  string   `json:"table"`
	Column string   `json:"column"` // the tenant column the statements filter on
	Rows   int64    `json:"rows"`   // the tenant's rows now
	Leaves []string `json:"-"`
	table  *Table
}

// TableResult is the audit record of one table's delete.
type TableResult struct {
	Table        string        `json:"table"`
	Rows         int64         `json:"rows_deleted"`
	Batches      int           `json:"batches"`
	Busy         time.Duration `json:"busy"`          // summed batch transaction time
	LongestBatch time.Duration `json:"longest_batch"` // the longest lock held by one batch
	Actor        string        `json:"actor"`
	StartedAt    time.Time     `json:"started_at"`
	FinishedAt   *time.Time    `json:"finished_at,omitempty"`
	ArchivedTo   string        `json:"archived_to,omitempty"`
}

// DeleteResult is the outcome of a hard delete or sweep.
type DeleteResult struct {
	Operation    string        `json:"operation"`
	Tables       []TableResult `json:"tables"`
	Rows         int64         `json:"rows_deleted"`
	LongestBatch time.Duration `json:"longest_batch"`
	Blocked      []Blocked     `json:"blocked,omitempty"`
}

func (r *DeleteResult) add(tr TableResult) {
	r.Tables = append(r.Tables, tr)
	r.Rows += tr.Rows
	r.LongestBatch = max(r.LongestBatch, tr.LongestBatch)
}

// Plan returns the ordered delete plan with the tenant's row count per table (the
// dry run of a hard delete). It deletes nothing.
func (o *Offboarder) Plan(ctx context.Context, tenant string) (*DeletePlan, error) {
	cat, err := Catalog(ctx, o.db, o.p)
	if err != nil {
		return nil, err
	}
	return planFor(ctx, o.db, cat, tenant)
}

func planFor(ctx context.Context, db DB, cat *TableCatalog, tenant string) (*DeletePlan, error) {
	order, err := DeleteOrder(cat)
	if err != nil {
		return nil, err
	}
	plan := &DeletePlan{TenantID: tenant, Unscoped: unscopedReferrers(cat)}
	for _, t := range order {
		col := t.TenantColumn
		if t.Root {
			col = cat.TenantKey
		}
		st := DeleteStep{Table: t.Key(), Column: col, table: t}
		for _, l := range t.Leaves {
			st.Leaves = append(st.Leaves, l.String())
		}
		q := "SELECT count(*) FROM " + t.Name.Quoted() + " WHERE " + sqlident.Quote(col) + " = $1::" + cat.TenantType
		if err := db.QueryRow(ctx, q, tenant).Scan(&st.Rows); err != nil {
			return nil, fmt.Errorf("retention: count rows of tenant %s in %s: %w", tenant, t.Key(), err)
		}
		plan.Steps = append(plan.Steps, st)
	}
	return plan, nil
}

// HardDelete removes every row of the tenant, table by table in FK order (children
// first), in batches of BatchSize rows, one short transaction per batch, and writes an
// audit record per table to lsos_retention.deletions. It refuses while the export
// window is open, before an export is recorded, while a legal hold covers the tenant's
// data, and while the tenant has rows younger than a legal floor (FloorCategories).
// Progress is committed with each batch: after a crash, calling HardDelete again
// resumes, and calling it on a purged tenant returns the recorded result.
func (o *Offboarder) HardDelete(ctx context.Context, tenant string) (*DeleteResult, error) {
	op := "offboard:" + tenant
	st, err := o.Status(ctx, tenant)
	if err != nil {
		return nil, err
	}
	switch st.Stage {
	case StagePurged:
		return o.bk().readResult(ctx, o.db, op)
	case StageActive:
		return nil, fmt.Errorf("%w: tenant %s is active; soft-delete it first", ErrWrongStage, tenant)
	case StageExportWindow:
		return nil, fmt.Errorf("%w: tenant %s's export window ends %s; hard delete is allowed from then", ErrExportWindow, tenant, st.ExportWindowEnd.Format(time.RFC3339))
	}
	if st.ExportedAt == nil {
		return nil, fmt.Errorf("%w: tenant %s; run the export stage first so the data survives in the archive store", ErrNotExported, tenant)
	}
	now := o.cfg.Now()
	cat, err := Catalog(ctx, o.db, o.p)
	if err != nil {
		return nil, err
	}
	plan, err := planFor(ctx, o.db, cat, tenant)
	if err != nil {
		return nil, err
	}
	if len(plan.Unscoped) > 0 {
		return nil, fmt.Errorf("retention: hard delete of tenant %s refused: %s reference tenant data without a %s column; add the column or clear those rows first",
			tenant, strings.Join(plan.Unscoped, ", "), o.p.Tenant.Column)
	}
	if ext, err := externalReferrers(ctx, o.db, o.p, cat, tenant); err != nil {
		return nil, err
	} else if len(ext) > 0 {
		return nil, externalError(tenant, ext)
	}
	if err := o.checkHolds(ctx, plan, tenant, now); err != nil {
		return nil, err
	}
	if err := o.checkFloors(ctx, cat, plan, tenant, now); err != nil {
		return nil, err
	}
	if _, err := o.db.Exec(ctx, `UPDATE `+o.bk().table("offboarding")+` SET state = 'hard-deleting', hard_delete_at = coalesce(hard_delete_at, $2), updated_at = $2
		WHERE tenant_id = $1 AND state <> 'purged'`, tenant, now); err != nil {
		return nil, fmt.Errorf("retention: mark tenant %s hard-deleting: %w", tenant, err)
	}
	o.log.Info("hard delete", "tenant", tenant, "tables", len(plan.Steps), "actor", o.cfg.Actor)
	res := &DeleteResult{Operation: op}
	for _, s := range plan.Steps {
		tr, err := o.deleteTable(ctx, op, s, tenant, cat.TenantType)
		if err != nil {
			return nil, err
		}
		res.add(tr)
	}
	if _, err := o.db.Exec(ctx, `UPDATE `+o.bk().table("offboarding")+` SET state = 'purged', purged_at = $2, updated_at = $2 WHERE tenant_id = $1`,
		tenant, o.cfg.Now()); err != nil {
		return nil, fmt.Errorf("retention: mark tenant %s purged: %w", tenant, err)
	}
	o.log.Info("tenant purged", "tenant", tenant, "rows", res.Rows, "longest_batch", res.LongestBatch)
	return res, nil
}

func (o *Offboarder) checkHolds(ctx context.Context, plan *DeletePlan, tenant string, now time.Time) error {
	var all []Hold
	seen := map[int64]bool{}
	for _, s := range plan.Steps {
		var holds []Hold
		var err error
		if s.table != nil {
			holds, err = o.bk().HoldsBlockingName(ctx, o.db, s.table.Name, []string{tenant}, now)
		} else {
			// A plan without its catalog table: the text must parse, or the delete stops.
			holds, err = o.bk().HoldsBlocking(ctx, o.db, s.Table, []string{tenant}, now)
		}
		if err != nil {
			return err
		}
		for _, h := range holds {
			if !seen[h.ID] {
				seen[h.ID] = true
				all = append(all, h)
			}
		}
	}
	if len(all) > 0 {
		return &HeldError{Action: "hard delete of tenant " + tenant, Holds: all}
	}
	return nil
}

func (o *Offboarder) checkFloors(ctx context.Context, cat *TableCatalog, plan *DeletePlan, tenant string, now time.Time) error {
	loc := o.p.Location()
	fe := &FloorError{Tenant: tenant}
	for _, s := range plan.Steps {
		t := s.table
		if t.Root || t.TimeColumn == "" || !slices.Contains(o.cfg.FloorCategories, t.Category) {
			continue
		}
		floor := o.p.Floor(t.Category)
		c, ok := floor.Cutoff(now, loc)
		if !ok {
			continue
		}
		var n int64
		var newest *time.Time
		q := "SELECT count(*), max(" + sqlident.Quote(t.TimeColumn) + ")::timestamptz FROM " + t.Name.Quoted() +
			" WHERE " + sqlident.Quote(t.TenantColumn) + " = $1::" + cat.TenantType + " AND " + sqlident.Quote(t.TimeColumn) + " >= $2::" + t.TimeType
		if err := o.db.QueryRow(ctx, q, tenant, formatCutoff(c, t.TimeType, loc)).Scan(&n, &newest); err != nil {
			return fmt.Errorf("retention: check %s floor of %s: %w", t.Category, t.Key(), err)
		}
		if n > 0 && newest != nil {
			fe.Tables = append(fe.Tables, FloorBlock{Table: t.Key(), Floor: floor, Rows: n, Newest: *newest,
				Until: nextFloorInstant(*newest, floor.Months, loc)})
		}
	}
	if len(fe.Tables) > 0 {
		return fe
	}
	return nil
}

// nextFloorInstant is the first instant at which a row at newest is past a floor of
// months (newest + months, plus a day so a date column's whole day has passed).
func nextFloorInstant(newest time.Time, months int, loc *time.Location) time.Time {
	n := newest.In(loc)
	return governance.AddMonths(time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc), months).AddDate(0, 0, 1)
}

// deleteTable deletes the tenant's rows of one table leaf by leaf in ctid batches.
func (o *Offboarder) deleteTable(ctx context.Context, op string, s DeleteStep, tenant, tenantType string) (TableResult, error) {
	now := o.cfg.Now()
	if _, err := o.db.Exec(ctx, `INSERT INTO `+o.bk().table("deletions")+` (operation, table_name, kind, tenant_id, actor, policy_version, started_at)
		VALUES ($1, $2, 'hard-delete', $3, $4, $5, $6) ON CONFLICT (operation, table_name) DO NOTHING`,
		op, s.Table, tenant, o.cfg.Actor, o.p.Version, now); err != nil {
		return TableResult{}, fmt.Errorf("retention: start audit record for %s: %w", s.Table, err)
	}
	tr, err := o.bk().readTableResult(ctx, o.db, op, s.Table)
	if err != nil || tr.FinishedAt != nil {
		return tr, err
	}
	col := sqlident.Quote(s.Column)
	for _, leaf := range s.table.Leaves {
		// Every statement filters on the tenant column, in the subquery and again in the
		// DELETE, so no batch can touch another tenant's row even if a ctid is reused.
		q := "DELETE FROM " + leaf.Quoted() + " WHERE " + col + " = $1::" + tenantType + " AND ctid = ANY (ARRAY(SELECT ctid FROM " +
			leaf.Quoted() + " WHERE " + col + " = $1::" + tenantType + " LIMIT $2))"
		for {
			n, d, err := o.batch(ctx, op, s.Table, q, tenant)
			if err != nil {
				return tr, err
			}
			if n == 0 {
				break
			}
			tr.Rows += n
			tr.Batches++
			tr.Busy += d
			tr.LongestBatch = max(tr.LongestBatch, d)
			if o.cfg.AfterBatch != nil {
				if err := o.cfg.AfterBatch(s.Table, tr.Batches, n); err != nil {
					return tr, fmt.Errorf("%w after batch %d of %s: %w (run the hard delete again to resume)", ErrInterrupted, tr.Batches, s.Table, err)
				}
			}
		}
	}
	fin := o.cfg.Now()
	if _, err := o.db.Exec(ctx, `UPDATE `+o.bk().table("deletions")+` SET finished_at = $3 WHERE operation = $1 AND table_name = $2`, op, s.Table, fin); err != nil {
		return tr, fmt.Errorf("retention: finish audit record for %s: %w", s.Table, err)
	}
	o.log.Info("table deleted", "table", s.Table, "tenant", tenant, "rows", tr.Rows, "batches", tr.Batches, "longest_batch", tr.LongestBatch)
	return o.bk().readTableResult(ctx, o.db, op, s.Table)
}

// batch runs one DELETE and its progress update in one transaction and returns the rows
// deleted and how long the transaction (and so its locks) lasted.
func (o *Offboarder) batch(ctx context.Context, op, table, q string, args ...any) (int64, time.Duration, error) {
	return o.bk().runBatch(ctx, o.db, o.cfg.LockTimeout, op, table, func(tx pgx.Tx) (int64, error) {
		tag, err := tx.Exec(ctx, q, append(args, o.cfg.BatchSize)...)
		return tag.RowsAffected(), err
	})
}

func (b Bookkeeping) runBatch(ctx context.Context, db TxDB, lockTimeout time.Duration, op, table string, del func(pgx.Tx) (int64, error)) (int64, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, fmt.Errorf("%w: %w (run again to resume)", ErrInterrupted, err)
	}
	start := time.Now()
	tx, err := db.Begin(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("retention: delete batch of %s: %w", table, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if lockTimeout > 0 {
		if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", lockTimeout.Milliseconds())); err != nil {
			return 0, 0, fmt.Errorf("retention: delete batch of %s: %w", table, err)
		}
	}
	n, err := del(tx)
	if err != nil {
		return 0, 0, fmt.Errorf("retention: delete batch of %s: %w", table, err)
	}
	if n == 0 {
		return 0, 0, nil
	}
	d := time.Since(start)
	if _, err := tx.Exec(ctx, `UPDATE `+b.table("deletions")+` SET rows_deleted = rows_deleted + $3, batches = batches + 1,
		busy_ms = busy_ms + $4, longest_batch_ms = greatest(longest_batch_ms, $4) WHERE operation = $1 AND table_name = $2`,
		op, table, n, float64(d.Microseconds())/1000); err != nil {
		return 0, 0, fmt.Errorf("retention: record batch of %s: %w", table, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, 0, fmt.Errorf("retention: commit batch of %s: %w", table, err)
	}
	return n, time.Since(start), nil
}

// AuditRecords is For(nil).AuditRecords: the default policy's schema (lsos_retention).
func AuditRecords(ctx context.Context, db DB, op string) ([]TableResult, error) {
	return For(nil).AuditRecords(ctx, db, op)
}

// AuditRecords returns the deletion audit records of an operation ("offboard:<tenant>"
// or a sweep's operation id), or of every operation when op is empty.
func (b Bookkeeping) AuditRecords(ctx context.Context, db DB, op string) ([]TableResult, error) {
	if err := b.requireInstalled(ctx, db); err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT table_name, rows_deleted, batches, busy_ms, longest_batch_ms, actor, started_at, finished_at, coalesce(archived_to, '')
		FROM `+b.table("deletions")+` WHERE $1 = '' OR operation = $1 ORDER BY started_at, operation, table_name`, op)
	if err != nil {
		return nil, fmt.Errorf("retention: read audit records: %w", err)
	}
	defer rows.Close()
	var out []TableResult
	for rows.Next() {
		var tr TableResult
		var busy, longest float64
		if err := rows.Scan(&tr.Table, &tr.Rows, &tr.Batches, &busy, &longest, &tr.Actor, &tr.StartedAt, &tr.FinishedAt, &tr.ArchivedTo); err != nil {
			return nil, err
		}
		tr.Busy = time.Duration(busy * float64(time.Millisecond))
		tr.LongestBatch = time.Duration(longest * float64(time.Millisecond))
		out = append(out, tr)
	}
	return out, rows.Err()
}

func (b Bookkeeping) readTableResult(ctx context.Context, db DB, op, table string) (TableResult, error) {
	var tr TableResult
	var busy, longest float64
	err := db.QueryRow(ctx, `SELECT table_name, rows_deleted, batches, busy_ms, longest_batch_ms, actor, started_at, finished_at, coalesce(archived_to, '')
		FROM `+b.table("deletions")+` WHERE operation = $1 AND table_name = $2`, op, table).
		Scan(&tr.Table, &tr.Rows, &tr.Batches, &busy, &longest, &tr.Actor, &tr.StartedAt, &tr.FinishedAt, &tr.ArchivedTo)
	if errors.Is(err, pgx.ErrNoRows) {
		return tr, fmt.Errorf("retention: no audit record for %s in %s", table, op)
	}
	tr.Busy = time.Duration(busy * float64(time.Millisecond))
	tr.LongestBatch = time.Duration(longest * float64(time.Millisecond))
	return tr, err
}

func (b Bookkeeping) readResult(ctx context.Context, db DB, op string) (*DeleteResult, error) {
	trs, err := b.AuditRecords(ctx, db, op)
	if err != nil {
		return nil, err
	}
	res := &DeleteResult{Operation: op}
	for _, tr := range trs {
		res.add(tr)
	}
	return res, nil
}
