package archive

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/retention"
)

// partDigest is a relation's rows of the other tenants (count and md5 in a fixed order)
// and its rows of the purged tenant.
type partDigest struct {
	Others int64
	MD5    string
	Mine   int64
}

func digestOf(t *testing.T, db DB, rel, tenant string) partDigest {
	t.Helper()
	var d partDigest
	q := `SELECT count(*) FILTER (WHERE tenant_id::text <> $1), coalesce(md5(string_agg(x::text, '|' ORDER BY x::text) FILTER (WHERE tenant_id::text <> $1)), ''),
		count(*) FILTER (WHERE tenant_id::text = $1) FROM ` + rel + ` x`
	if err := db.QueryRow(context.Background(), q, tenant).Scan(&d.Others, &d.MD5, &d.Mine); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return d
}

// offboard soft-deletes, exports and hard-deletes tenant with the retention package.
func offboard(t *testing.T, db *pgxpool.Pool, tenant string) {
	t.Helper()
	ctx := context.Background()
	if err := retention.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	now := fixedNow
	ob, err := retention.NewOffboarder(db, governance.Default(), retention.OffboardConfig{Actor: "ops@lsos", Now: func() time.Time { return now },
		FloorCategories: []governance.Category{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ob.SoftDelete(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	if _, err := ob.Export(ctx, tenant, fileStore(t), "offboarding"); err != nil {
		t.Fatal(err)
	}
	now = fixedNow.AddDate(0, 0, 31)
	if _, err := ob.HardDelete(ctx, tenant); err != nil {
		t.Fatal(err)
	}
}

func TestPurgeTenantFromArchives(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	store := fileStore(t)
	const tenant = "2"
	parts := []string{"public.crawl_outputs_2025_01", "public.ranking_snapshots_2025_01", "public.ranking_snapshots_2025_02", "public.ranking_snapshots_2025_03"}
	before := map[string]partDigest{}
	for _, p := range parts {
		before[p] = digestOf(t, db, p, tenant)
		if before[p].Mine == 0 || before[p].Others == 0 {
			t.Fatalf("%s: %+v; the sample should hold every tenant", p, before[p])
		}
	}
	// Archive three partitions (dropped) and one kept detached.
	if _, err := run(t, db, store, Options{Partitions: []Partition{{Name: parts[0]}, {Name: parts[1]}, {Name: parts[2]}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, db, store, Options{Partitions: []Partition{{Name: parts[3]}}, KeepDetached: true}); err != nil {
		t.Fatal(err)
	}
	// The kept detached copy lost its foreign keys (it must not pin the tenant's live
	// rows, or the hard delete below would be refused).
	var fks int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM pg_constraint WHERE conrelid = 'lsos_archive_detached.ranking_snapshots_2025_03'::regclass AND contype = 'f'`).Scan(&fks); err != nil || fks != 0 {
		t.Fatalf("kept detached copy has %d foreign key(s) (%v), want 0", fks, err)
	}
	if _, err := PurgeTenant(ctx, db, store, tenant, PurgeOptions{Now: func() time.Time { return fixedNow }}); !errors.Is(err, ErrTenantNotPurged) {
		t.Fatalf("purge of an active tenant = %v, want ErrTenantNotPurged", err)
	}
	offboard(t, db, tenant)
	// Soft-deleted and hard-deleted tenants' archives are still found for audits until
	// the purge.
	found, err := Find(ctx, db, FindOptions{Tenant: tenant})
	if err != nil || len(found) != 4 {
		t.Fatalf("Find(tenant %s) before the purge: %d, %v", tenant, len(found), err)
	}
	byPart := map[string]Entry{}
	for _, e := range found {
		byPart[e.Partition] = e
	}
	// A legal hold on the tenant's crawl outputs blocks that archive, with the hold id.
	h, err := retention.AddHold(ctx, db, retention.HoldSpec{TenantID: tenant, Table: "crawl_outputs", Reason: "dispute", By: "legal@lsos", From: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	opts := PurgeOptions{Actor: "ops@lsos", Now: func() time.Time { return fixedNow.AddDate(0, 0, 32) }}

	// Crash after the rewrite: the catalog still names the old, valid object.
	crash := opts
	crash.crashAfter = PurgeCrashAfterRewrite
	res, err := PurgeTenant(ctx, db, store, tenant, crash)
	if !errors.Is(err, ErrCrash) {
		t.Fatalf("crash after rewrite: %v", err)
	}
	first := byPart[parts[1]]
	if e, _ := Get(ctx, db, first.ID); e.Object != first.Object || e.SHA256 != first.SHA256 {
		t.Fatalf("catalog changed before the switch: %+v", e)
	}
	if err := Verify(ctx, db, store, first.ID); err != nil {
		t.Fatalf("old object invalid after a crash before the switch: %v", err)
	}
	// Crash after the switch: the catalog names the new, valid object; the old one remains.
	crash.crashAfter = PurgeCrashAfterSwitch
	if _, err := PurgeTenant(ctx, db, store, tenant, crash); !errors.Is(err, ErrCrash) {
		t.Fatalf("crash after switch: %v", err)
	}
	switched, _ := Get(ctx, db, first.ID)
	if switched.Object == first.Object || slices.ContainsFunc(switched.Manifest.Tenants, func(r TenantRows) bool { return r.Tenant == tenant }) {
		t.Fatalf("catalog not switched: %+v", switched)
	}
	if err := Verify(ctx, db, store, first.ID); err != nil {
		t.Fatalf("new object invalid right after the switch: %v", err)
	}
	if ok, _ := store.Exists(ctx, first.Object); !ok {
		t.Fatal("old object deleted before the purge was recorded finished")
	}
	// The re-run finishes the switched archive and purges the others, except the held one.
	res, err = PurgeTenant(ctx, db, store, tenant, opts)
	var inc *PurgeIncompleteError
	if !errors.As(err, &inc) || !errors.Is(err, retention.ErrHeld) || len(res.Blocked) != 1 {
		t.Fatalf("held archive: %v, %+v", err, res)
	}
	if b := res.Blocked[0]; b.Partition != parts[0] || !slices.Equal(b.HoldIDs, []string{fmt.Sprint(h.ID)}) || !strings.Contains(err.Error(), "legal hold") {
		t.Fatalf("blocked %+v", b)
	}
	if ok, _ := store.Exists(ctx, first.Object); ok {
		t.Error("old object left after the resumed purge")
	}
	if len(res.Archives) != 3 || !slices.ContainsFunc(res.Archives, func(a PurgedArchive) bool { return a.ID == first.ID && a.Resumed }) {
		t.Fatalf("purged %+v", res.Archives)
	}
	if err := retention.ReleaseHold(ctx, db, h.ID, "legal@lsos", fixedNow.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	res, err = PurgeTenant(ctx, db, store, tenant, opts)
	if err != nil || len(res.Archives) != 1 || res.Archives[0].Partition != parts[0] || res.Rows() != before[parts[0]].Mine {
		t.Fatalf("after the release: %+v, %v", res, err)
	}

	// A re-run is a no-op.
	listed, err := List(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	res, err = PurgeTenant(ctx, db, store, tenant, opts)
	if err != nil || len(res.Archives) != 0 || len(res.Blocked) != 0 {
		t.Fatalf("re-run: %+v, %v", res, err)
	}
	again, _ := List(ctx, db)
	if len(again) != len(listed) {
		t.Fatal("re-run changed the catalog")
	}
	for i := range again {
		if again[i].SHA256 != listed[i].SHA256 || again[i].Object != listed[i].Object {
			t.Errorf("re-run changed %s", again[i].ID)
		}
	}

	// Every archive restores without the tenant's rows and with all others, unchanged.
	for i, p := range parts {
		e := byPart[p]
		cur, err := Get(ctx, db, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Rows != before[p].Others || cur.Rows != e.Rows-before[p].Mine {
			t.Errorf("%s: catalog rows %d, want %d", p, cur.Rows, before[p].Others)
		}
		into := fmt.Sprintf("restored_%d", i)
		if _, err := Restore(ctx, db, store, e.ID, Target{Table: into}); err != nil {
			t.Fatal(err)
		}
		if got := digestOf(t, db, into, tenant); got != (partDigest{Others: before[p].Others, MD5: before[p].MD5}) {
			t.Errorf("%s restored: %+v, want %+v without tenant rows", p, got, before[p])
		}
	}
	// The kept detached copy lost the same rows.
	kept := byPart[parts[3]].Manifest.Detached
	if kept == "" {
		t.Fatal("no detached table recorded for the kept archive")
	}
	if got := digestOf(t, db, kept, tenant); got != (partDigest{Others: before[parts[3]].Others, MD5: before[parts[3]].MD5}) {
		t.Errorf("kept table %s: %+v", kept, got)
	}
	if found, err := Find(ctx, db, FindOptions{Tenant: tenant}); err != nil || len(found) != 0 {
		t.Errorf("Find(tenant) after the purge: %d, %v", len(found), err)
	}
	// One manifest per archive in the store, matching the catalog.
	ms, err := ReadManifests(ctx, store, "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range ms {
		if seen[m.ID] {
			t.Errorf("two manifests for %s", m.ID)
		}
		seen[m.ID] = true
		if e, _ := Get(ctx, db, m.ID); e.SHA256 != m.SHA256 || e.Object != m.Object {
			t.Errorf("manifest %s does not match the catalog", m.ID)
		}
	}
	// Audit: one finished record per archive with the tenant's rows, and an event each.
	recs, err := retention.AuditRecords(ctx, db, PurgeOperation(tenant))
	if err != nil {
		t.Fatal(err)
	}
	var removed, want int64
	for _, r := range recs {
		if r.FinishedAt == nil || r.Actor != "ops@lsos" || !strings.HasSuffix(r.ArchivedTo, ".parquet") {
			t.Errorf("audit record %+v", r)
		}
		removed += r.Rows
	}
	for _, p := range parts {
		want += before[p].Mine
	}
	if len(recs) != 4 || removed != want {
		t.Errorf("%d audit records removing %d rows; want 4 and %d", len(recs), removed, want)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_archive.events WHERE step = 'purge'`); n != 4 {
		t.Errorf("%d purge events, want 4", n)
	}
}

// On S3: an archive still in progress when the tenant is hard-deleted is reported, not
// rewritten; archive.Run finishes it from the database (where the tenant is gone) and the
// purge then has nothing left to do there.
func TestPurgeTenantS3AndArchiveInProgress(t *testing.T) {
	for _, kind := range []string{"gofakes3", "seaweedfs"} {
		t.Run(kind, func(t *testing.T) {
			var store *blob.Bucket
			if kind == "gofakes3" {
				store, _, _ = s3Store(t)
			} else {
				store = seaweedStore(t)
			}
			purgeS3AndArchiveInProgress(t, store)
		})
	}
}

func purgeS3AndArchiveInProgress(t *testing.T, store *blob.Bucket) {
	ctx := context.Background()
	db := sampleDB(t)
	const tenant = "3"
	done, pending := "public.ranking_snapshots_2025_04", "public.ranking_snapshots_2025_05"
	want := map[string]partDigest{done: digestOf(t, db, done, tenant), pending: digestOf(t, db, pending, tenant)}
	if _, err := run(t, db, store, Options{Partitions: []Partition{{Name: done}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, db, store, Options{Partitions: []Partition{{Name: pending}}, crashAfter: StepRecord}); !errors.Is(err, ErrCrash) {
		t.Fatalf("crash after record: %v", err)
	}
	offboard(t, db, tenant)
	opts := PurgeOptions{Now: func() time.Time { return fixedNow.AddDate(0, 0, 32) }}
	res, err := PurgeTenant(ctx, db, store, tenant, opts)
	if !errors.Is(err, ErrPurgeIncomplete) || errors.Is(err, retention.ErrHeld) {
		t.Fatalf("purge with an archive in progress: %v", err)
	}
	if len(res.Archives) != 1 || res.Archives[0].Partition != done || len(res.Blocked) != 1 ||
		res.Blocked[0].Partition != pending || !strings.Contains(res.Blocked[0].Reason, "in progress") {
		t.Fatalf("result %+v", res)
	}
	// The archive run notices the rows changed since its export and exports again (it
	// may stop once with that verdict; a re-run completes).
	if _, err := run(t, db, store, Options{Partitions: []Partition{{Name: pending}}}); err != nil {
		if !errors.Is(err, ErrVerify) {
			t.Fatalf("resumed archive run: %v", err)
		}
		if _, err := run(t, db, store, Options{Partitions: []Partition{{Name: pending}}}); err != nil {
			t.Fatal(err)
		}
	}
	res, err = PurgeTenant(ctx, db, store, tenant, opts)
	if err != nil || len(res.Archives) != 0 || len(res.Blocked) != 0 {
		t.Fatalf("purge after the run: %+v, %v", res, err)
	}
	entries, err := List(ctx, db)
	if err != nil || len(entries) != 2 {
		t.Fatalf("catalog: %d entries, %v", len(entries), err)
	}
	for i, e := range entries {
		into := fmt.Sprintf("s3_restored_%d", i)
		if _, err := Restore(ctx, db, store, e.ID, Target{Table: into}); err != nil {
			t.Fatal(err)
		}
		w := want[e.Partition]
		if got := digestOf(t, db, into, tenant); got != (partDigest{Others: w.Others, MD5: w.MD5}) || w.Mine == 0 {
			t.Errorf("%s restored: %+v, want %+v without tenant rows", e.Partition, got, w)
		}
	}
}

func TestRecordPurgeSkippedNeedsAReason(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	if err := RecordPurgeSkipped(ctx, db, "1", " ", "ops", fixedNow); err == nil {
		t.Fatal("a skip without a reason must be refused")
	}
	if err := RecordPurgeSkipped(ctx, db, "1", "archives are under a regulator's preservation order", "ops", fixedNow); err != nil {
		t.Fatal(err)
	}
	var kind, note string
	if err := db.QueryRow(ctx, `SELECT kind, note FROM lsos_retention.deletions WHERE operation = $1`, PurgeOperation("1")).Scan(&kind, &note); err != nil {
		t.Fatal(err)
	}
	if kind != "archive-purge-skipped" || !strings.Contains(note, "preservation order") {
		t.Errorf("record %q %q", kind, note)
	}
}

var _ *blob.Bucket // the store type of PurgeTenant

func mustExecA(t *testing.T, db DB, sql string) {
	t.Helper()
	if _, err := db.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
