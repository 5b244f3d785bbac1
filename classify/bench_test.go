package classify

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// benchSchema builds a 200-table schema: bigTables tables of rows rows each and the rest
// with 100 rows. Every table has text, jsonb and bigint columns that only sampling can
// settle, so every table is sampled.
func benchSchema(rows int) pgtest.Setup {
	const tables, bigTables = 200, 4
	return func(ctx context.Context, c *pgx.Conn) error {
		for i := 0; i < tables; i++ {
			n := 100
			if i < bigTables {
				n = rows
			}
			q := fmt.Sprintf(`CREATE TABLE t%03d (id bigint PRIMARY KEY, notes text, extra jsonb, ref bigint, created_at timestamptz);
				INSERT INTO t%03d SELECT g, 'customer' || g || '@example.com', jsonb_build_object('n', g), g * 7, now()
				FROM generate_series(1, %d) g;`, i, i, n)
			if _, err := c.Exec(ctx, q); err != nil {
				return err
			}
		}
		_, err := c.Exec(ctx, "ANALYZE")
		return err
	}
}

// BenchmarkClassifyTableSize classifies a 200-table schema whose four big tables hold
// 100k and 2M rows (LSOS_BENCH_ROWS=100000,10000000 to choose). Sampling is bounded, so
// the time per Classify should not grow with the big tables' size.
func BenchmarkClassifyTableSize(b *testing.B) {
	sizes := []int{100_000, 2_000_000}
	if env := os.Getenv("LSOS_BENCH_ROWS"); env != "" {
		sizes = nil
		for _, s := range strings.Split(env, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				b.Fatalf("LSOS_BENCH_ROWS: %v", err)
			}
			sizes = append(sizes, n)
		}
	}
	for _, rows := range sizes {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			db := pgtest.DB(b, fmt.Sprintf("bench-%d", rows), benchSchema(rows))
			ctx := context.Background()
			p := governance.Default()
			var sampled int
			for b.Loop() {
				cat, err := Classify(ctx, db, p, Options{})
				if err != nil {
					b.Fatal(err)
				}
				if len(cat.Tables) != 200 {
					b.Fatalf("%d tables", len(cat.Tables))
				}
				if c, _ := cat.Column("t000.notes"); c.Source != SourceSampling {
					b.Fatalf("t000.notes not classified by sampling: %+v", c)
				}
				big, _ := cat.Table("t000")
				sampled = big.SampledRows
			}
			b.ReportMetric(float64(sampled), "rows-sampled/big-table")
			b.ReportMetric(float64(sampleBuffers(b, db, "t000")), "pages-read/big-table")
		})
	}
}

// sampleBuffers runs the sample query Classify plans for one table under EXPLAIN
// (ANALYZE, BUFFERS) and returns the pages it touched: a measure of sampling cost that,
// unlike wall time, does not depend on machine load.
func sampleBuffers(b *testing.B, db *pgxpool.Pool, table string) int {
	ctx := context.Background()
	tables, err := readTables(ctx, db, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range tables {
		if t.name.Name != table {
			continue
		}
		clause, _ := samplePlan(Options{SampleSize: DefaultSampleSize}, t)
		var plan []struct {
			Plan struct {
				Hit  int `json:"Shared Hit Blocks"`
				Read int `json:"Shared Read Blocks"`
			} `json:"Plan"`
		}
		q := "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT notes, extra, ref FROM " + t.name.Quoted() + clause
		if err := db.QueryRow(ctx, q).Scan(&plan); err != nil {
			b.Fatal(err)
		}
		return plan[0].Plan.Hit + plan[0].Plan.Read
	}
	b.Fatalf("table %s not found", table)
	return 0
}
