package integrity

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// benchRows is the size of the child table of the orphan benchmark.
const benchRows = 1_000_000

// benchSetup: 100k parents keyed (tenant_id, id), 1M children referencing them through
// a NOT VALID composite FK, 100 of them orphans.
func benchSetup(ctx context.Context, c *pgx.Conn) error {
	for _, s := range []string{
		`CREATE TABLE parent (tenant_id bigint NOT NULL, id bigint NOT NULL, PRIMARY KEY (tenant_id, id))`,
		`CREATE TABLE child (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, parent_id bigint, payload text)`,
		`INSERT INTO parent SELECT g % 10, g FROM generate_series(1, 100000) g`,
		`INSERT INTO child SELECT g, (g % 100000 + 1) % 10, CASE WHEN g % 10000 = 0 THEN -g ELSE g % 100000 + 1 END, 'row ' || g
		 FROM generate_series(1, ` + strconv.Itoa(benchRows) + `) g`,
		`CREATE INDEX ON child (tenant_id, parent_id)`,
		`ALTER TABLE child ADD FOREIGN KEY (tenant_id, parent_id) REFERENCES parent NOT VALID`,
		`VACUUM ANALYZE parent`, `VACUUM ANALYZE child`,
	} {
		if _, err := c.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

const handWritten = `SELECT count(*) FROM child c WHERE NOT EXISTS (SELECT 1 FROM parent p WHERE p.tenant_id = c.tenant_id AND p.id = c.parent_id)`

// BenchmarkOrphans compares the orphan check on a 1M-row child with the hand-written
// anti-join in the same run; the "ratio" metric of OrphanCheck is check time over
// hand-written time.
func BenchmarkOrphans(b *testing.B) {
	db := pgtest.DB(b, "bench-orphans-1m", benchSetup)
	ctx := context.Background()
	p := governance.Default()
	p.Tenant.Global = []string{"parent", "child"}
	var want int64
	if err := db.QueryRow(ctx, handWritten).Scan(&want); err != nil || want != 100 {
		b.Fatalf("hand-written count %d, %v; want 100", want, err)
	}
	runCheck := func() {
		fs, err := OrphanedRows{}.Run(ctx, db, p, nil)
		if err != nil || len(fs) != 1 || fs[0].Count != want {
			b.Fatalf("check: %v, %v", fs, err)
		}
	}
	runHand := func() {
		var n int64
		if err := db.QueryRow(ctx, handWritten).Scan(&n); err != nil || n != want {
			b.Fatalf("hand-written: %d, %v", n, err)
		}
	}
	b.Run("HandWritten", func(b *testing.B) {
		for b.Loop() {
			runHand()
		}
	})
	b.Run("OrphanCheck", func(b *testing.B) {
		var check, hand time.Duration
		for b.Loop() {
			t0 := time.Now()
			runCheck()
			t1 := time.Now()
			runHand()
			check, hand = check+t1.Sub(t0), hand+time.Since(t1)
		}
		b.ReportMetric(float64(check)/float64(hand), "ratio")
		b.ReportMetric(float64(check.Milliseconds())/float64(b.N), "check-ms/op")
	})
}

// BenchmarkSampleFullCheck runs every check on the sample schema grown to about 1M
// ranking snapshot rows (30 tenants, 3000 keywords, 14 snapshot days a month, 24 months).
func BenchmarkSampleFullCheck(b *testing.B) {
	db := pgtest.DB(b, "bench-sample-1m", func(ctx context.Context, c *pgx.Conn) error {
		if err := lsos.Apply(ctx, c); err != nil {
			return err
		}
		if err := lsos.LoadSample(ctx, c, lsos.SampleOptions{Now: sampleNow, Tenants: 30, KeywordsPerCampaign: 50, SnapshotDays: 14}); err != nil {
			return err
		}
		_, err := c.Exec(ctx, `ANALYZE`)
		return err
	})
	ctx := context.Background()
	var rows int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM ranking_snapshots`).Scan(&rows); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rep, err := Run(ctx, db, governance.Default(), Options{Now: fixedNow})
		if err != nil || len(rep.Findings) != 0 {
			b.Fatalf("%v: %s", err, render(rep.Findings))
		}
	}
	b.ReportMetric(float64(rows), "snapshot-rows")
}
