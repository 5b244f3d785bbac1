package reliability

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/retention"
)

func monthly(parent string, year int, from, to int) []string {
	var out []string
	for m := from; m <= to; m++ {
		out = append(out, fmt.Sprintf("public.%s_%d_%02d", parent, year, m))
	}
	return out
}

// TestTwoArchiveProcessesArchiveEachPartitionOnce starts two archive workers as
// separate processes on the same partitions (in opposite orders, so they meet): each
// partition is dropped by exactly one of them, the catalog holds one complete entry per
// partition with one drop event, and live plus archived rows equal the original rows.
func TestTwoArchiveProcessesArchiveEachPartitionOnce(t *testing.T) {
	t.Parallel()
	url, db := fresh(t)
	storeDir := t.TempDir()
	parts := monthly("crawl_outputs", 2025, 1, 6)
	rev := make([]string, len(parts))
	for i, p := range parts {
		rev[len(parts)-1-i] = p
	}
	before := digestOf(t, db, "crawl_outputs", "")

	c1, o1, e1 := spawn(t, modeArchive, childArgs{URL: url, Dir: storeDir, Partitions: parts, Now: fixedNow})
	c2, o2, e2 := spawn(t, modeArchive, childArgs{URL: url, Dir: storeDir, Partitions: rev, Now: fixedNow})
	r1, r2 := waitResult(t, c1, o1, e1), waitResult(t, c2, o2, e2)
	if r1.Err != "" || r2.Err != "" {
		t.Fatalf("worker errors: %q / %q", r1.Err, r2.Err)
	}
	dropped := map[string]int{}
	skipped := 0
	for _, r := range []childResult{r1, r2} {
		for _, p := range r.Archive.Partitions {
			if p.State == "dropped" && p.Skipped == "" {
				dropped[p.Partition]++
			} else if p.Skipped != "" {
				skipped++
			}
		}
	}
	for _, p := range parts {
		if dropped[p] != 1 {
			t.Fatalf("%s dropped by %d workers; want exactly 1 (%+v / %+v)", p, dropped[p], r1.Archive, r2.Archive)
		}
	}
	for _, e := range mustList(t, db) {
		if n := count(t, db, `SELECT count(*) FROM lsos_archive.events WHERE archive_id = $1 AND step = 'drop'`, e.ID); n != 1 {
			t.Fatalf("%s: %d drop events", e.ID, n)
		}
	}
	store := openStore(t, storeDir)
	union, n := restoreAll(t, db, store, "public.crawl_outputs", "restored")
	if n != len(parts) {
		t.Fatalf("%d archives; want %d", n, len(parts))
	}
	if got := digestOf(t, db, "(SELECT * FROM crawl_outputs UNION ALL SELECT * FROM "+union+" u)", ""); got != before {
		t.Fatalf("live + archived %v; originally %v", got, before)
	}
	t.Logf("FIGURE 2 archive processes, %d partitions, each dropped once, %d skips by the other worker, %d rows checked", len(parts), skipped, before.Rows)
}

func mustList(t *testing.T, db archive.DB) []archive.Entry {
	t.Helper()
	es, err := archive.List(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestArchiveAndOffboardingAtOnce runs an archive worker and a tenant hard delete as two
// processes at the same time over the same partitioned tables. Whatever each reports,
// re-running both ends consistent: the tenant has no live row anywhere, every archive is
// complete and restorable, and every other tenant's rows, live plus archived, equal the
// original (md5 per table).
func TestArchiveAndOffboardingAtOnce(t *testing.T) {
	t.Parallel()
	const tenant = "3"
	ctx := context.Background()
	url, db := fresh(t)
	p := governance.Default()
	now := offboardNow
	ob, err := retention.NewOffboarder(db, p, retention.OffboardConfig{Actor: "reliability", Now: func() time.Time { return now }, BatchSize: 25})
	if err != nil {
		t.Fatal(err)
	}
	others := tenantDigests(t, db, "<> "+tenant)
	if _, err := ob.SoftDelete(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	storeDir := t.TempDir()
	store := openStore(t, storeDir)
	if _, err := ob.Export(ctx, tenant, store, "offboarding"); err != nil {
		t.Fatal(err)
	}
	now = now.AddDate(0, 0, 31)
	parts := append(monthly("ranking_snapshots", 2025, 1, 6), monthly("crawl_outputs", 2025, 1, 4)...)

	ca, oa, ea := spawn(t, modeArchive, childArgs{URL: url, Dir: storeDir, Partitions: parts, Now: fixedNow})
	co, oo, eo := spawn(t, modeOffboard, childArgs{URL: url, Tenant: tenant, BatchSize: 25, Now: now})
	ra, ro := waitResult(t, ca, oa, ea), waitResult(t, co, oo, eo)
	t.Logf("concurrent archive: err %q; concurrent hard delete: err %q", ra.Err, ro.Err)

	// Re-run both until they report success (a conflict may stop either once).
	var parts2 []archive.Partition
	for _, n := range parts {
		parts2 = append(parts2, archive.Partition{Name: n})
	}
	if rep, err := archive.Run(ctx, db, store, p, archive.Options{Now: func() time.Time { return fixedNow }, Partitions: parts2}); err != nil {
		t.Fatalf("archive re-run: %v (%+v)", err, rep)
	}
	if _, err := ob.HardDelete(ctx, tenant); err != nil {
		t.Fatalf("hard delete re-run: %v", err)
	}
	if st, err := ob.Status(ctx, tenant); err != nil || st.Stage != retention.StagePurged {
		t.Fatalf("status %+v %v", st, err)
	}
	for table, d := range tenantDigests(t, db, "= "+tenant) {
		if d.Rows != 0 {
			t.Fatalf("%s still holds %d live rows of tenant %s", table, d.Rows, tenant)
		}
	}
	after := tenantDigests(t, db, "<> "+tenant)
	var archivedOfTenant int64
	var checked int64
	for _, parent := range []string{"public.ranking_snapshots", "public.crawl_outputs"} {
		union, n := restoreAll(t, db, store, parent, "r_"+parent[len("public."):])
		if n == 0 {
			t.Fatalf("no archive of %s", parent)
		}
		after[parent] = digestOf(t, db, "(SELECT * FROM "+parent+" UNION ALL SELECT * FROM "+union+" u)", "x.tenant_id <> "+tenant)
		archivedOfTenant += digestOf(t, db, union, "x.tenant_id = "+tenant).Rows
	}
	if !maps.Equal(after, others) {
		t.Fatalf("other tenants' rows (live + archived) changed:\n got %v\nwant %v", after, others)
	}
	for _, d := range others {
		checked += d.Rows
	}
	t.Logf("FIGURE archive ∥ offboarding: other tenants' %d rows intact; %d rows of the purged tenant remain in partition archives (exported before the delete)", checked, archivedOfTenant)
}
