package retention

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lsos/lsosgov/internal/pgtest"
)

func TestInstallIdempotentAndConcurrent(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	if _, err := AddHold(ctx, db, HoldSpec{TenantID: "1", Reason: "r", By: "me"}); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("AddHold before Install = %v, want ErrNotInstalled", err)
	}
	if hs, err := HoldsBlocking(ctx, db, "public.x", []string{"1"}, time.Now()); err != nil || len(hs) != 0 {
		t.Fatalf("HoldsBlocking without the schema = %v, %v; want none", hs, err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = Install(ctx, db) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Install: %v", err)
		}
	}
	if err := Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM lsos_retention.schema_migrations`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("schema_migrations rows = %d, %v", n, err)
	}
}

func TestHoldsLifecycle(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	t0 := sampleNow
	for _, bad := range []HoldSpec{
		{Reason: "r", By: "me"},
		{TenantID: "1", By: "me"},
		{TenantID: "1", Reason: "r"},
		{TenantID: "1", Reason: "r", By: "me", From: t0, Until: t0},
		{Table: `bad"name`, Reason: "r", By: "me"},
	} {
		if _, err := AddHold(ctx, db, bad); err == nil {
			t.Errorf("AddHold(%+v) accepted", bad)
		}
	}
	tenantHold, err := AddHold(ctx, db, HoldSpec{TenantID: "2", Reason: "subpoena", By: "legal", From: t0})
	if err != nil {
		t.Fatal(err)
	}
	tableHold, err := AddHold(ctx, db, HoldSpec{Table: "ranking_snapshots", Reason: "regulator", By: "legal", From: t0, Until: t0.AddDate(0, 1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	both, err := AddHold(ctx, db, HoldSpec{TenantID: "3", Table: "public.audit_log", Reason: "incident", By: "sec", From: t0})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(hs []Hold, err error) []int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return HoldIDs(hs)
	}
	at := t0.Add(time.Hour)
	cases := []struct {
		table   string
		tenants []string
		at      time.Time
		want    []int64
	}{
		{"public.ranking_snapshots_2025_01", []string{"1"}, at, []int64{tableHold.ID}}, // parent hold covers the partition
		{"public.ranking_snapshots_2025_01", []string{"1", "2"}, at, []int64{tenantHold.ID, tableHold.ID}},
		{"public.ranking_snapshots", []string{"1"}, t0.AddDate(0, 2, 0), nil}, // the table hold expired
		{"public.crawl_outputs_2025_01", []string{"1"}, at, nil},
		{"public.audit_log", []string{"1"}, at, nil},
		{"public.audit_log", []string{"3"}, at, []int64{both.ID}},
		{"public.users", []string{"3"}, at, nil},
		{"public.users", []string{"2"}, t0.Add(-time.Hour), nil}, // before the hold starts
		{"public.users", []string{"2"}, at, []int64{tenantHold.ID}},
	}
	for _, c := range cases {
		if got := ids(HoldsBlocking(ctx, db, c.table, c.tenants, c.at)); !slices.Equal(got, c.want) {
			t.Errorf("HoldsBlocking(%s, %v, %s) = %v, want %v", c.table, c.tenants, c.at, got, c.want)
		}
	}
	if got := ids(ListHolds(ctx, db, ListOptions{})); len(got) != 3 {
		t.Errorf("ListHolds = %v", got)
	}
	if got := ids(ListHolds(ctx, db, ListOptions{TenantID: "2"})); !slices.Equal(got, []int64{tenantHold.ID}) {
		t.Errorf("ListHolds(tenant 2) = %v", got)
	}
	if err := ReleaseHold(ctx, db, tenantHold.ID, "", at); err == nil {
		t.Error("release without who accepted")
	}
	if err := ReleaseHold(ctx, db, tenantHold.ID, "legal", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := ReleaseHold(ctx, db, tenantHold.ID, "legal", at.Add(time.Hour)); !errors.Is(err, ErrHoldNotFound) {
		t.Errorf("second release = %v, want ErrHoldNotFound", err)
	}
	// Released holds stay on record but no longer block after their release.
	if got := ids(HoldsBlocking(ctx, db, "public.users", []string{"2"}, at.Add(2*time.Hour))); len(got) != 0 {
		t.Errorf("released hold still blocks: %v", got)
	}
	if got := ids(HoldsBlocking(ctx, db, "public.users", []string{"2"}, at)); !slices.Equal(got, []int64{tenantHold.ID}) {
		t.Errorf("the hold was in force before its release: %v", got)
	}
	active := ids(ListHolds(ctx, db, ListOptions{ActiveAt: at.Add(2 * time.Hour)}))
	if !slices.Equal(active, []int64{tableHold.ID, both.ID}) {
		t.Errorf("active holds = %v", active)
	}
	hs, _ := ListHolds(ctx, db, ListOptions{TenantID: "2"})
	if hs[0].ReleasedBy != "legal" || hs[0].ReleasedAt == nil || hs[0].ActiveAt(at.Add(2*time.Hour)) {
		t.Errorf("released hold record: %+v", hs[0])
	}
	err = error(&HeldError{Action: "drop", Holds: hs})
	if !errors.Is(err, ErrHeld) {
		t.Error("HeldError must wrap ErrHeld")
	}
}
