package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/parquetio"
	"github.com/lsos/lsosgov/retention"
)

// deleteTables is the number of tenant tables of the hard-delete schema.
const deleteTables = 10

// benchHardDelete compares retention's staged hard delete of a tenant (batched, one
// short transaction per batch, audit record per table) with one DELETE … WHERE
// tenant_id = $1 per table, children first. Each run works on a fresh clone of a
// template; the clone, the soft delete and the export stage are not timed.
func (e *env) benchHardDelete(ctx context.Context) error {
	sizes := e.cfg.Sizes.DeleteRows
	p := governance.Default()
	curve := Curve{Name: "hard-delete", Candidate: "retention HardDelete", Baseline: "DELETE per table"}
	bucket, err := parquetio.OpenBucket(ctx, "file://"+filepath.Join(e.tmp, "offboard-exports"))
	if err != nil {
		return err
	}
	defer bucket.Close()
	for i, rows := range sizes {
		last := i == len(sizes)-1
		runs, warm := e.cfg.Sizes.CurveRuns, 0
		if last {
			runs, warm = e.cfg.Runs, e.cfg.Warmup
		}
		e.cfg.Logf("hard-delete: template with %d rows per table", rows)
		tmpl, err := e.srv.Template(ctx, fmt.Sprintf("bench-harddelete-%d", rows), deleteSetup(rows))
		if err != nil {
			return err
		}
		want := rows*deleteTables + 1 // and the tenants row
		batched := func(ctx context.Context) (Sample, error) {
			db, err := e.newDB(ctx, "harddelete", tmpl)
			if err != nil {
				return Sample{}, err
			}
			defer e.drop(db)
			t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
			now := t0
			ob, err := retention.NewOffboarder(db.pool, p, retention.OffboardConfig{Actor: "bench", Now: func() time.Time { return now }})
			if err != nil {
				return Sample{}, err
			}
			if _, err := ob.SoftDelete(ctx, "1"); err != nil {
				return Sample{}, err
			}
			if _, err := ob.Export(ctx, "1", bucket, db.name); err != nil {
				return Sample{}, err
			}
			now = t0.Add(p.Offboarding.ExportWindow.Std() + 24*time.Hour)
			start := time.Now()
			res, err := ob.HardDelete(ctx, "1")
			d := time.Since(start)
			if err != nil {
				return Sample{}, err
			}
			if res.Rows != want {
				return Sample{}, fmt.Errorf("HardDelete removed %d rows, want %d", res.Rows, want)
			}
			return Sample{D: d, Rows: res.Rows, Lock: res.LongestBatch}, checkOther(ctx, db, rows)
		}
		plain := func(ctx context.Context) (Sample, error) {
			db, err := e.newDB(ctx, "harddelete", tmpl)
			if err != nil {
				return Sample{}, err
			}
			defer e.drop(db)
			var s Sample
			start := time.Now()
			for t := deleteTables; t >= 0; t-- {
				q := fmt.Sprintf(`DELETE FROM t%02d WHERE tenant_id = $1`, t)
				if t == 0 {
					q = `DELETE FROM tenants WHERE id = $1`
				}
				t1 := time.Now()
				tag, err := db.pool.Exec(ctx, q, 1)
				if err != nil {
					return s, err
				}
				s.Lock = max(s.Lock, time.Since(t1))
				s.Rows += tag.RowsAffected()
			}
			s.D = time.Since(start)
			if s.Rows != want {
				return s, fmt.Errorf("DELETE per table removed %d rows, want %d", s.Rows, want)
			}
			return s, checkOther(ctx, db, rows)
		}
		b, c, err := pair(ctx, runs, warm, "DELETE per table", plain, "HardDelete", batched)
		if err != nil {
			return err
		}
		curve.Points = append(curve.Points, CurvePoint{Rows: rows * deleteTables, CandSec: c.MedianSec, BaseSec: b.MedianSec})
		if !last {
			continue
		}
		e.add(Result{
			Name: "tenant-hard-delete", Candidate: "HardDelete", Baseline: "DELETE per table", Unit: "s", Rows: want,
			CandValue: c.MedianSec, BaseValue: b.MedianSec, Ratio: c.MedianSec / b.MedianSec, RatioOf: "time", Target: "<= 1.5",
			Detail: map[string]any{"candidate": c, "baseline": b, "batch_size": p.Offboarding.BatchSize,
				"longest_lock_batched_s": c.LockSec, "longest_lock_delete_s": b.LockSec},
			Note: fmt.Sprintf("%d tables; longest lock held: %s by one batch of %d rows vs %s by one DELETE",
				deleteTables, fmtValue(c.LockSec, "s"), p.Offboarding.BatchSize, fmtValue(b.LockSec, "s")),
		})
	}
	e.rep.Curves = append(e.rep.Curves, curve)
	return nil
}

// checkOther verifies the other tenant's rows survived.
func checkOther(ctx context.Context, db *database, rows int64) error {
	for i := 1; i <= deleteTables; i++ {
		var mine, other int64
		if err := db.pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FILTER (WHERE tenant_id = 1), count(*) FILTER (WHERE tenant_id = 2) FROM t%02d`, i)).Scan(&mine, &other); err != nil {
			return err
		}
		if mine != 0 || other != max(rows/10, 1) {
			return fmt.Errorf("t%02d: tenant 1 kept %d rows, tenant 2 has %d", i, mine, other)
		}
	}
	return nil
}

// deleteSetup builds a chain of 10 tenant tables, each referencing the previous one by
// (tenant_id, parent_id) as the LSOS schema does, holding rows rows of tenant 1 per
// table and a tenth of that for tenant 2, and installs the retention schema.
func deleteSetup(rows int64) func(context.Context, *pgx.Conn) error {
	return func(ctx context.Context, c *pgx.Conn) error {
		stmts := []string{`CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL, plan text NOT NULL DEFAULT 'standard',
			status text NOT NULL DEFAULT 'active', deleted_at timestamptz)`,
			`INSERT INTO tenants (id, name) VALUES (1, 'big'), (2, 'other')`}
		for i := 1; i <= deleteTables; i++ {
			parent := ""
			if i > 1 {
				parent = fmt.Sprintf(", parent_id bigint NOT NULL, FOREIGN KEY (tenant_id, parent_id) REFERENCES t%02d (tenant_id, id)", i-1)
			}
			stmts = append(stmts, fmt.Sprintf(`CREATE TABLE t%02d (id bigint NOT NULL, tenant_id bigint NOT NULL REFERENCES tenants (id),
				payload text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (tenant_id, id)%s)`, i, parent))
			cols, sel := "tenant_id, id, payload", "t.id, g, md5(g::text)"
			if i > 1 {
				cols, sel = cols+", parent_id", sel+", g"
			}
			stmts = append(stmts, fmt.Sprintf(`INSERT INTO t%02d (%s) SELECT %s FROM (VALUES (1, %d), (2, %d)) t(id, n), generate_series(1, t.n) g`,
				i, cols, sel, rows, max(rows/10, 1)))
			if i > 1 {
				stmts = append(stmts, fmt.Sprintf(`CREATE INDEX ON t%02d (tenant_id, parent_id)`, i))
			}
		}
		stmts = append(stmts, "VACUUM ANALYZE")
		if err := execAll(ctx, c, stmts...); err != nil {
			return err
		}
		return retention.Install(ctx, c)
	}
}
