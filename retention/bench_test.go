package retention

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// benchRows is the offboarded tenant's rows per table (LSOS_BENCH_ROWS_PER_TABLE,
// default 100 000: 1M rows over 10 tables, the benchmark size).
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("LSOS_BENCH_ROWS_PER_TABLE")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

const benchTables = 10

// benchSetup builds a chain of 10 tenant tables (each child references the previous one
// by (tenant_id, parent_id), as the LSOS schema does) holding benchRows rows of tenant 1
// per table and a tenth of that for tenant 2, which must survive untouched.
func benchSetup(rows int) pgtest.Setup {
	return func(ctx context.Context, c *pgx.Conn) error {
		stmts := []string{`CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL, plan text NOT NULL DEFAULT 'standard',
			status text NOT NULL DEFAULT 'active', deleted_at timestamptz)`,
			`INSERT INTO tenants (id, name) VALUES (1, 'big'), (2, 'other')`}
		for i := 1; i <= benchTables; i++ {
			ref := "REFERENCES tenants (id)"
			parent := ""
			if i > 1 {
				parent = fmt.Sprintf(", parent_id bigint NOT NULL, FOREIGN KEY (tenant_id, parent_id) REFERENCES t%02d (tenant_id, id)", i-1)
			}
			stmts = append(stmts,
				fmt.Sprintf(`CREATE TABLE t%02d (id bigint NOT NULL, tenant_id bigint NOT NULL %s, payload text NOT NULL,
					created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (tenant_id, id)%s)`, i, ref, parent))
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
		stmts = append(stmts, "ANALYZE")
		for _, s := range stmts {
			if _, err := c.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return Install(ctx, c)
	}
}

// BenchmarkHardDelete compares the batched, resumable hard delete of a tenant with one
// DELETE … WHERE tenant_id = … per table (children first) in the same run. It reports
// the longest lock a single transaction held: one batch for the batched delete, one
// whole table for the plain DELETE.
func BenchmarkHardDelete(b *testing.B) {
	rows := benchRows()
	setup := benchSetup(rows)
	key := fmt.Sprintf("retention-bench-%d", rows)
	p := governance.Default()
	total := float64(rows * benchTables)

	b.Run("batched", func(b *testing.B) {
		var longest time.Duration
		for b.Loop() {
			b.StopTimer()
			db := pgtest.DB(b, key, setup)
			t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
			clk := &clock{t: t0}
			ob, err := NewOffboarder(db, p, OffboardConfig{Actor: "bench", Now: clk.now})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ob.SoftDelete(context.Background(), "1"); err != nil {
				b.Fatal(err)
			}
			// The export is measured by the archive benchmarks; record it as done.
			mustExec(b, db, `UPDATE lsos_retention.offboarding SET exported_at = $1, export_location = 'bench' WHERE tenant_id = '1'`, t0)
			clk.t = t0.AddDate(0, 0, 31)
			b.StartTimer()
			res, err := ob.HardDelete(context.Background(), "1")
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if res.Rows != int64(rows*benchTables+1) {
				b.Fatalf("deleted %d rows, want %d", res.Rows, rows*benchTables+1)
			}
			checkOtherTenant(b, db, rows)
			longest = max(longest, res.LongestBatch)
			b.StartTimer()
		}
		b.ReportMetric(float64(longest.Microseconds())/1000, "longest-lock-ms")
		b.ReportMetric(total*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})

	b.Run("single-delete", func(b *testing.B) {
		var longest time.Duration
		for b.Loop() {
			b.StopTimer()
			db := pgtest.DB(b, key, setup)
			ctx := context.Background()
			b.StartTimer()
			for i := benchTables; i >= 1; i-- {
				start := time.Now()
				if _, err := db.Exec(ctx, fmt.Sprintf(`DELETE FROM t%02d WHERE tenant_id = $1`, i), 1); err != nil {
					b.Fatal(err)
				}
				longest = max(longest, time.Since(start))
			}
			if _, err := db.Exec(ctx, `DELETE FROM tenants WHERE id = $1`, 1); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			checkOtherTenant(b, db, rows)
			b.StartTimer()
		}
		b.ReportMetric(float64(longest.Microseconds())/1000, "longest-lock-ms")
		b.ReportMetric(total*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

func checkOtherTenant(b *testing.B, db *pgxpool.Pool, rows int) {
	b.Helper()
	for i := 1; i <= benchTables; i++ {
		var mine, other int
		if err := db.QueryRow(context.Background(), fmt.Sprintf(`SELECT count(*) FILTER (WHERE tenant_id = 1), count(*) FILTER (WHERE tenant_id = 2) FROM t%02d`, i)).Scan(&mine, &other); err != nil {
			b.Fatal(err)
		}
		if mine != 0 || other != max(rows/10, 1) {
			b.Fatalf("t%02d: tenant 1 has %d rows, tenant 2 %d", i, mine, other)
		}
	}
}
