package migrate

import (
	"context"
	"fmt"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	gooselock "github.com/pressly/goose/v3/lock"
)

// BenchmarkUpNoop measures Up with 200 applied versions and nothing pending: what every
// service replica pays at startup. goose's Provider.Up on the same database, with the
// same 200 versions applied, is measured alongside for comparison. lsosgov also checks
// every applied file's checksum on this path; goose compares versions only.
func BenchmarkUpNoop(b *testing.B) {
	const n = 200
	ctx := context.Background()
	db := poolFor(b, pgtestURL(b))

	files := map[string]string{}
	gooseFS := fstest.MapFS{}
	for i := 1; i <= n; i++ {
		v := fmt.Sprintf("2026%02d%02d%02d0000", 1+i/28%12, 1+i%28, i/28/12)
		files[v+fmt.Sprintf("_t%d.up.sql", i)] = fmt.Sprintf("CREATE TABLE ours_%d (id int);\n", i)
		files[v+fmt.Sprintf("_t%d.down.sql", i)] = fmt.Sprintf("DROP TABLE ours_%d;\n", i)
		gooseFS[fmt.Sprintf("%05d_t%d.sql", i, i)] = &fstest.MapFile{Data: []byte(fmt.Sprintf(
			"-- +goose Up\nCREATE TABLE goose_%d (id int);\n-- +goose Down\nDROP TABLE goose_%d;\n", i, i))}
	}
	d := loadMap(b, files)
	if len(d.Versions) != n {
		b.Fatalf("%d versions, want %d", len(d.Versions), n)
	}
	m := migrator(b, db, d, Config{})
	if res, err := m.Up(ctx); err != nil || len(res) != n {
		b.Fatalf("setup Up: %d %v", len(res), err)
	}
	sqlDB := stdlib.OpenDBFromPool(db)
	b.Cleanup(func() { sqlDB.Close() })
	gp, err := goose.NewProvider(goose.DialectPostgres, sqlDB, gooseFS)
	if err != nil {
		b.Fatal(err)
	}
	if res, err := gp.Up(ctx); err != nil || len(res) != n {
		b.Fatalf("setup goose Up: %d %v", len(res), err)
	}
	locker, err := gooselock.NewPostgresSessionLocker()
	if err != nil {
		b.Fatal(err)
	}
	gpLocked, err := goose.NewProvider(goose.DialectPostgres, sqlDB, gooseFS, goose.WithSessionLocker(locker))
	if err != nil {
		b.Fatal(err)
	}

	b.Run("lsosgov", func(b *testing.B) {
		for b.Loop() {
			if res, err := m.Up(ctx); err != nil || len(res) != 0 {
				b.Fatalf("Up: %d %v", len(res), err)
			}
		}
	})
	b.Run("goose", func(b *testing.B) {
		for b.Loop() {
			if res, err := gp.Up(ctx); err != nil || len(res) != 0 {
				b.Fatalf("goose Up: %d %v", len(res), err)
			}
		}
	})
	b.Run("goose-session-locker", func(b *testing.B) {
		for b.Loop() {
			if res, err := gpLocked.Up(ctx); err != nil || len(res) != 0 {
				b.Fatalf("goose Up: %d %v", len(res), err)
			}
		}
	})
	// Alternating the two in one loop cancels out load drift on a shared machine: the
	// ratio is the number to read.
	b.Run("interleaved", func(b *testing.B) {
		var ours, theirs time.Duration
		for b.Loop() {
			t0 := time.Now()
			if _, err := m.Up(ctx); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if _, err := gp.Up(ctx); err != nil {
				b.Fatal(err)
			}
			ours += t1.Sub(t0)
			theirs += time.Since(t1)
		}
		b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "lsosgov-ns/op")
		b.ReportMetric(float64(theirs.Nanoseconds())/float64(b.N), "goose-ns/op")
		b.ReportMetric(float64(ours)/float64(theirs), "lsosgov/goose")
	})
}
