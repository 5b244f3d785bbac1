package main

import (
	"context"
	"fmt"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/integrity"
)

// benchIntegrity compares the orphaned-rows and duplicate-snapshots checks (through
// integrity.Run, as a scheduled job calls them) with the hand-written anti-join and
// GROUP BY … HAVING on the same tables, at three child-table sizes; the largest is the
// headline.
func (e *env) benchIntegrity(ctx context.Context) error {
	sizes := e.cfg.Sizes.IntegrityRows
	db, err := e.newDB(ctx, "integrity", "")
	if err != nil {
		return err
	}
	defer e.drop(db)
	parents := max(sizes[len(sizes)-1]/10, 10)
	p := governance.Default()
	p.Tenant.Global = []string{"parent"}
	stmts := []string{
		`CREATE TABLE parent (tenant_id bigint NOT NULL, id bigint NOT NULL, name text, PRIMARY KEY (tenant_id, id))`,
		fmt.Sprintf(`INSERT INTO parent SELECT g %% 10, g, 'parent ' || g FROM generate_series(1, %d) g`, parents),
		`VACUUM ANALYZE parent`,
	}
	for i, n := range sizes {
		child, dup := fmt.Sprintf("child_%d", i), fmt.Sprintf("dup_%d", i)
		p.Tenant.Global = append(p.Tenant.Global, child, dup)
		p.Snapshots = append(p.Snapshots, governance.SnapshotKey{Table: dup, Key: []string{"tenant_id", "keyword_id", "captured_on"}})
		stmts = append(stmts,
			// One row in 10 000 references a parent that does not exist.
			fmt.Sprintf(`CREATE TABLE %s (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, parent_id bigint, payload text)`, child),
			fmt.Sprintf(`INSERT INTO %s SELECT g, (g %% %d + 1) %% 10, CASE WHEN g %% 10000 = 0 THEN -g ELSE g %% %d + 1 END, 'row ' || g
				FROM generate_series(1, %d) g`, child, parents, parents, n),
			fmt.Sprintf(`CREATE INDEX ON %s (tenant_id, parent_id)`, child),
			fmt.Sprintf(`ALTER TABLE %s ADD FOREIGN KEY (tenant_id, parent_id) REFERENCES parent NOT VALID`, child),
			fmt.Sprintf(`VACUUM ANALYZE %s`, child),
			// A snapshot table whose natural key repeats once every 10 000 rows.
			fmt.Sprintf(`CREATE TABLE %s (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, keyword_id bigint NOT NULL, captured_on date NOT NULL, position int)`, dup),
			fmt.Sprintf(`INSERT INTO %s SELECT g, k %% 10, k / 28, DATE '2025-01-01' + (k %% 28)::int, g %% 100
				FROM generate_series(1, %d) g, LATERAL (SELECT CASE WHEN g %% 10000 = 0 THEN g - 1 ELSE g END AS k) x`, dup, n),
			fmt.Sprintf(`VACUUM ANALYZE %s`, dup),
		)
	}
	e.cfg.Logf("integrity: loading %v rows", sizes)
	if err := execAll(ctx, db.pool, stmts...); err != nil {
		return err
	}
	orphans := Curve{Name: "integrity-orphans", Candidate: "orphaned-rows check", Baseline: "hand-written anti-join"}
	dups := Curve{Name: "integrity-duplicates", Candidate: "duplicate-snapshots check", Baseline: "hand-written GROUP BY"}
	for i, n := range sizes {
		child, dup := fmt.Sprintf("child_%d", i), fmt.Sprintf("dup_%d", i)
		want := n / 10000
		last := i == len(sizes)-1
		runs, warm := e.cfg.Sizes.CurveRuns, 0
		if last {
			runs, warm = e.cfg.Runs, e.cfg.Warmup
		}
		check := func(c integrity.Check, table string) Op {
			return timed(func(ctx context.Context) (int64, int64, error) {
				rep, err := integrity.Run(ctx, db.pool, p, integrity.Options{Checks: []integrity.Check{c}, Tables: []string{table}})
				if err != nil {
					return 0, 0, err
				}
				var got int64
				for _, f := range rep.Findings {
					got += f.Count
				}
				if got != want {
					return 0, 0, fmt.Errorf("%s on %s counted %d, want %d: %v", c.Name(), table, got, want, rep.Findings)
				}
				return n, 0, nil
			})
		}
		hand := func(q string) Op {
			return timed(func(ctx context.Context) (int64, int64, error) {
				var got int64
				if err := db.pool.QueryRow(ctx, q).Scan(&got); err != nil {
					return 0, 0, err
				}
				if got != want {
					return 0, 0, fmt.Errorf("%q counted %d, want %d", q, got, want)
				}
				return n, 0, nil
			})
		}
		antiJoin := fmt.Sprintf(`SELECT count(*) FROM %s c WHERE c.parent_id IS NOT NULL AND NOT EXISTS
			(SELECT 1 FROM parent p WHERE p.tenant_id = c.tenant_id AND p.id = c.parent_id)`, child)
		groupBy := fmt.Sprintf(`SELECT coalesce(sum(n - 1), 0)::int8 FROM (SELECT count(*) AS n FROM %s
			GROUP BY tenant_id, keyword_id, captured_on HAVING count(*) > 1) d`, dup)
		e.cfg.Logf("integrity: %d rows", n)
		ob, oc, err := pair(ctx, runs, warm, "anti-join", hand(antiJoin), "orphaned-rows", check(integrity.OrphanedRows{}, child))
		if err != nil {
			return err
		}
		db_, dc, err := pair(ctx, runs, warm, "GROUP BY", hand(groupBy), "duplicate-snapshots", check(integrity.DuplicateSnapshots{}, dup))
		if err != nil {
			return err
		}
		orphans.Points = append(orphans.Points, CurvePoint{Rows: n, CandSec: oc.MedianSec, BaseSec: ob.MedianSec})
		dups.Points = append(dups.Points, CurvePoint{Rows: n, CandSec: dc.MedianSec, BaseSec: db_.MedianSec})
		if !last {
			continue
		}
		e.add(Result{
			Name: "integrity-orphans", Candidate: "orphaned-rows", Baseline: "anti-join", Unit: "s", Rows: n,
			CandValue: oc.MedianSec, BaseValue: ob.MedianSec, Ratio: oc.MedianSec / ob.MedianSec, RatioOf: "time", Target: "<= 1.2",
			Detail: map[string]any{"candidate": oc, "baseline": ob},
			Note:   "integrity.Run (catalog read, read-only transaction, sample keys) vs one NOT EXISTS count",
		})
		e.add(Result{
			Name: "integrity-duplicates", Candidate: "duplicate-snapshots", Baseline: "GROUP BY", Unit: "s", Rows: n,
			CandValue: dc.MedianSec, BaseValue: db_.MedianSec, Ratio: dc.MedianSec / db_.MedianSec, RatioOf: "time", Target: "<= 1.2",
			Detail: map[string]any{"candidate": dc, "baseline": db_},
		})
	}
	e.rep.Curves = append(e.rep.Curves, orphans, dups)
	return nil
}
