package archive

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"
	"time"
)

// A purge of tenant A that crashed after its rewrite (catalog unchanged, audit record
// open with source S0), then a completed purge of tenant B on the same archive (S0 → S1):
// A's re-run must purge S1 (not take the "crashed run switched the catalog" path, since
// the catalog names neither A's source nor A's copy) and delete A's stale copy of S0.
func TestPurgeResumeAfterAnotherTenantsPurge(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	store := fileStore(t)
	const part = "public.ranking_snapshots_2025_01"
	if _, err := run(t, db, store, Options{Partitions: []Partition{{Name: part}}}); err != nil {
		t.Fatal(err)
	}
	found, err := Find(ctx, db, FindOptions{Tenant: "2"})
	if err != nil || len(found) != 1 {
		t.Fatalf("Find: %d, %v", len(found), err)
	}
	id := found[0].ID
	opts := PurgeOptions{Actor: "ops@lsos", AllowUnpurged: true, Now: func() time.Time { return fixedNow }}
	crash := opts
	crash.crashAfter = PurgeCrashAfterRewrite
	if _, err := PurgeTenant(ctx, db, store, "2", crash); !errors.Is(err, ErrCrash) {
		t.Fatalf("crash after rewrite: %v", err)
	}
	if _, err := PurgeTenant(ctx, db, store, "3", opts); err != nil {
		t.Fatalf("purge of tenant 3: %v", err)
	}
	res, err := PurgeTenant(ctx, db, store, "2", opts)
	if err != nil {
		t.Fatalf("re-run of tenant 2: %v", err)
	}
	e, err := Get(ctx, db, id)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(e.Manifest.Tenants, func(r TenantRows) bool { return r.Tenant == "2" }) {
		t.Fatalf("re-run reported %+v with nil error, yet archive %s still holds tenant 2's rows (manifest tenants %v)", res.Archives, id, e.Manifest.Tenants)
	}
	if len(e.Manifest.Tenants) != 1 || e.Manifest.Tenants[0].Tenant != "1" {
		t.Fatalf("archive %s lists tenants %v, want only tenant 1", id, e.Manifest.Tenants)
	}
	// One data object and one manifest are left: the catalog's. The copy of S0 the
	// crashed run wrote is gone.
	var keys []string
	it := store.List(nil)
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, obj.Key)
	}
	want := []string{e.Object, manifestKey(e.Object)}
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("store holds %v, want only %v", keys, want)
	}
}
