package lsos_test

import (
	"context"
	"testing"
	"time"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestSampleSpansTwoYears(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	if err := lsos.Apply(ctx, db); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	if err := lsos.LoadSample(ctx, db, lsos.SampleOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	for _, tbl := range lsos.Tables {
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM `+tbl).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("table %s is empty after LoadSample", tbl)
		}
	}
	var oldest, newest time.Time
	if err := db.QueryRow(ctx, `SELECT min(captured_on), max(captured_on) FROM ranking_snapshots`).Scan(&oldest, &newest); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC); !oldest.Equal(want) {
		t.Errorf("oldest snapshot %s; want %s", oldest, want)
	}
	if !newest.Before(now) || newest.Before(now.AddDate(0, -1, 0)) {
		t.Errorf("newest snapshot %s; want within the month before %s", newest, now)
	}
	var parts int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM pg_inherits WHERE inhparent = 'ranking_snapshots'::regclass`).Scan(&parts); err != nil {
		t.Fatal(err)
	}
	if parts != 26 { // 24 months of history, the current month and the next
		t.Errorf("ranking_snapshots has %d partitions; want 26", parts)
	}
	if got := lsos.Versions(); len(got) != 6 || got[0] != "20260101000000" {
		t.Errorf("Versions() = %v", got)
	}
}
