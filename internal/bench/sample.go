package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/integrity"
)

// sampleNow fixes the sample's time span so every run loads the same data.
var sampleNow = time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)

// benchSampleCheck runs every integrity check (schema and data) on the sample LSOS
// schema grown to the scale's snapshot volume (10M ranking snapshot rows at full),
// as a nightly job would. There is no target: the baseline is the one hand-written
// query a team would otherwise schedule for the same table, the GROUP BY over the
// snapshot natural key, so the ratio shows what the other checks and their
// bookkeeping add on top of the dominant scan.
func (e *env) benchSampleCheck(ctx context.Context) error {
	sz := e.cfg.Sizes.Sample
	db, err := e.newDB(ctx, "sample", "")
	if err != nil {
		return err
	}
	defer e.drop(db)
	conn, err := pgx.Connect(ctx, db.url)
	if err != nil {
		return err
	}
	e.cfg.Logf("integrity-sample: loading %d tenants x %d keywords x %d days x 24 months", sz.Tenants, sz.KeywordsPerCampaign, sz.SnapshotDays)
	err = lsos.Apply(ctx, conn)
	if err == nil {
		err = lsos.LoadSample(ctx, conn, lsos.SampleOptions{Now: sampleNow, Tenants: sz.Tenants,
			KeywordsPerCampaign: sz.KeywordsPerCampaign, SnapshotDays: sz.SnapshotDays})
	}
	if err == nil {
		_, err = conn.Exec(ctx, `VACUUM ANALYZE`)
	}
	conn.Close(ctx)
	if err != nil {
		return fmt.Errorf("load the sample: %w", err)
	}
	var rows int64
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM ranking_snapshots`).Scan(&rows); err != nil {
		return err
	}
	p := governance.Default()
	full := timed(func(ctx context.Context) (int64, int64, error) {
		rep, err := integrity.Run(ctx, db.pool, p, integrity.Options{Now: func() time.Time { return sampleNow }})
		if err != nil {
			return 0, 0, err
		}
		if len(rep.Findings) != 0 {
			return 0, 0, fmt.Errorf("the clean sample has %d findings, first %s: %s", len(rep.Findings), rep.Findings[0].Check, rep.Findings[0].Message)
		}
		return rows, 0, nil
	})
	groupBy := timed(func(ctx context.Context) (int64, int64, error) {
		var dups int64
		err := db.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM ranking_snapshots
			GROUP BY tenant_id, keyword_id, captured_on HAVING count(*) > 1) d`).Scan(&dups)
		if err == nil && dups != 0 {
			err = fmt.Errorf("the clean sample has %d duplicated snapshot keys", dups)
		}
		return rows, 0, err
	})
	e.cfg.Logf("integrity-sample: %d snapshot rows", rows)
	b, c, err := pair(ctx, e.cfg.Runs, e.cfg.Warmup, "GROUP BY", groupBy, "full check", full)
	if err != nil {
		return err
	}
	e.add(Result{
		Name: "integrity-sample-full-check", Candidate: "integrity.Run, every check", Baseline: "GROUP BY snapshot key", Unit: "s", Rows: rows,
		CandValue: c.MedianSec, BaseValue: b.MedianSec, Ratio: c.MedianSec / b.MedianSec, RatioOf: "time",
		Detail: map[string]any{"candidate": c, "baseline": b},
		Note:   "the sample LSOS schema at the scale's snapshot volume; all schema and data checks vs the one hand-written duplicate scan of ranking_snapshots",
	})
	return nil
}
