package main

import (
	"context"
	"fmt"

	"github.com/lsos/lsosgov/classify"
	"github.com/lsos/lsosgov/governance"
)

// classifyTables is the number of tables of the classification schema.
const classifyTables = 10

// benchClassify classifies the same 10-table schema holding few rows and 100x (or
// more) rows per table, alternating between the two databases: sampling reads a
// bounded block sample, so the time must stay flat.
func (e *env) benchClassify(ctx context.Context) error {
	sizes := e.cfg.Sizes.ClassifyRows
	small, large := sizes[0], sizes[len(sizes)-1]
	dbs := make([]*database, 2)
	for i, n := range []int64{small, large} {
		db, err := e.newDB(ctx, fmt.Sprintf("classify_%d", n), "")
		if err != nil {
			return err
		}
		defer e.drop(db)
		e.cfg.Logf("classify: loading %d tables of %d rows", classifyTables, n)
		if err := execAll(ctx, db.pool, classifySchema(n)...); err != nil {
			return err
		}
		dbs[i] = db
	}
	p := governance.Default()
	var cols int
	run := func(db *database) Op {
		return timed(func(ctx context.Context) (int64, int64, error) {
			cat, err := classify.Classify(ctx, db.pool, p, classify.Options{Seed: 1})
			if err != nil {
				return 0, 0, err
			}
			if len(cat.Columns) < classifyTables*7 {
				return 0, 0, fmt.Errorf("classified %d columns, want at least %d", len(cat.Columns), classifyTables*7)
			}
			cols = len(cat.Columns)
			return 0, 0, nil
		})
	}
	b, c, err := pair(ctx, e.cfg.Runs, e.cfg.Warmup, "classify@"+humanCount(small*classifyTables), run(dbs[0]), "classify@"+humanCount(large*classifyTables), run(dbs[1]))
	if err != nil {
		return err
	}
	e.add(Result{
		Name: "classify-growth", Candidate: b2s(large), Baseline: b2s(small), Unit: "s", Rows: large * classifyTables,
		CandValue: c.MedianSec, BaseValue: b.MedianSec, Ratio: c.MedianSec / b.MedianSec, RatioOf: "time", Target: "<= 1.5",
		Detail: map[string]any{"candidate": c, "baseline": b, "columns": cols},
		Note: fmt.Sprintf("classify.Classify of %d tables (%d columns, value sampling on) at %dx the rows; flat = near 1",
			classifyTables, cols, large/small),
	})
	return nil
}

func b2s(rowsPerTable int64) string {
	return "classify@" + humanCount(rowsPerTable*classifyTables) + " rows"
}

// classifySchema creates classifyTables tables of n rows whose columns need every
// source: name rules, structural rules and value sampling (e-mail addresses and
// tokens in columns whose names say nothing).
func classifySchema(n int64) []string {
	var stmts []string
	for i := range classifyTables {
		t := fmt.Sprintf("records_%02d", i)
		stmts = append(stmts,
			fmt.Sprintf(`CREATE TABLE %s (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, contact text, note text,
				ref text, attrs jsonb, amount numeric(12,2), created_at timestamptz NOT NULL DEFAULT now())`, t),
			fmt.Sprintf(`INSERT INTO %s (id, tenant_id, contact, note, ref, attrs, amount)
				SELECT g, g %% 10, 'user' || g || '@example.com', 'visited page ' || (g %% 500) || ' twice',
				       md5(g::text), jsonb_build_object('k', g %% 7), (g %% 10000) / 100.0
				FROM generate_series(1, %d) g`, t, n),
			fmt.Sprintf(`VACUUM ANALYZE %s`, t),
		)
	}
	return stmts
}
