package retention

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// sampleNow is the fixed clock of the sample data (acceptance: --now 2026-11-26).
var sampleNow = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// sampleSetup builds the LSOS sample schema with two years of data and installs the
// package's schema.
func sampleSetup(ctx context.Context, c *pgx.Conn) error {
	if err := lsos.Apply(ctx, c); err != nil {
		return err
	}
	if err := lsos.LoadSample(ctx, c, lsos.SampleOptions{Now: sampleNow}); err != nil {
		return err
	}
	return Install(ctx, c)
}

func sampleDB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return pgtest.DB(t, "retention-sample", sampleSetup)
}

func mustExec(t testing.TB, db DB, sql string, args ...any) {
	t.Helper()
	if _, err := db.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
