package lsos_test

import (
	"context"
	"testing"
	"time"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/govtest"
)

func TestMain(m *testing.M) { govtest.Main(m) }

func TestSampleSpansTwoYears(t *testing.T) {
	ctx := context.Background()
	db := govtest.DB(t)
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

// SnapshotDays scales the snapshot volume: n distinct days per month (up to 28), so a
// benchmark can ask for ten million rows. The default 4 days stay the 1st, 8th, 15th
// and 22nd.
func TestSampleSnapshotDaysScaleRows(t *testing.T) {
	ctx := context.Background()
	db := govtest.DB(t)
	if err := lsos.Apply(ctx, db); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	if err := lsos.LoadSample(ctx, db, lsos.SampleOptions{Now: now, Tenants: 1, KeywordsPerCampaign: 1, SnapshotDays: 23}); err != nil {
		t.Fatal(err)
	}
	// A full month (October 2026): 2 keywords (1 per campaign, 2 campaigns) x 23 days.
	var rows, days int
	if err := db.QueryRow(ctx, `SELECT count(*), count(DISTINCT captured_on) FROM ranking_snapshots
		WHERE captured_on >= '2026-10-01' AND captured_on < '2026-11-01'`).Scan(&rows, &days); err != nil {
		t.Fatal(err)
	}
	if rows != 2*23 || days != 23 {
		t.Fatalf("October 2026: %d rows on %d days; want 46 rows on 23 days", rows, days)
	}
	db2 := govtest.DB(t)
	if err := lsos.Apply(ctx, db2); err != nil {
		t.Fatal(err)
	}
	if err := lsos.LoadSample(ctx, db2, lsos.SampleOptions{Now: now, Tenants: 1, KeywordsPerCampaign: 1}); err != nil {
		t.Fatal(err)
	}
	var got []int
	r, err := db2.Query(ctx, `SELECT DISTINCT extract(day FROM captured_on)::int FROM ranking_snapshots
		WHERE captured_on >= '2026-10-01' AND captured_on < '2026-11-01' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var d int
		if err := r.Scan(&d); err != nil {
			t.Fatal(err)
		}
		got = append(got, d)
	}
	if len(got) != 4 || got[0] != 1 || got[1] != 8 || got[2] != 15 || got[3] != 22 {
		t.Fatalf("default snapshot days %v; want [1 8 15 22]", got)
	}
}
