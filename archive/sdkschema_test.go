package archive

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/retention"
)

// TestDetachedSchemaMustBeSDKSchema: kept partitions go to a schema the policy
// recognises as the SDK's (default: its prefix + "archive_detached"); another schema is
// refused before anything runs, and one listed in sdk.schemas is accepted.
func TestDetachedSchemaMustBeSDKSchema(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	store := fileStore(t)
	now := func() time.Time { return fixedNow }
	part := []Partition{{Name: "public.ranking_snapshots_2024_12"}}
	_, err := Run(ctx, db, store, governance.Default(), Options{Partitions: part, Now: now, KeepDetached: true, DetachedSchema: "kept"})
	if err == nil || !strings.Contains(err.Error(), "not one of the SDK's schemas") {
		t.Fatalf("DetachedSchema outside the SDK's schemas: %v", err)
	}
	p := governance.Default()
	p.SDK.Schemas = []string{"kept"}
	if _, err := Run(ctx, db, store, p, Options{Partitions: part, Now: now, KeepDetached: true, DetachedSchema: "kept"}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM pg_tables WHERE schemaname = 'kept' AND tablename = 'ranking_snapshots_2024_12'`); n != 1 {
		t.Fatalf("the kept partition is not in schema kept")
	}
	// A fresh database: this one's catalog is in lsos_archive, which an install under
	// another prefix refuses to leave behind (TestSDKPrefixRefusesWhileDefaultInstalled).
	db2 := sampleDB(t)
	p2 := governance.Default()
	p2.SDK.Prefix = "ops_"
	part2 := []Partition{{Name: "public.ranking_snapshots_2025_01"}}
	if _, err := Run(ctx, db2, store, p2, Options{Partitions: part2, Now: now, KeepDetached: true}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db2, `SELECT count(*) FROM pg_tables WHERE schemaname = 'ops_archive_detached'`); n != 1 {
		t.Fatalf("with sdk.prefix ops_ the kept partition is not in ops_archive_detached")
	}
}

// opsPolicy is the default policy with sdk.prefix ops_.
func opsPolicy(t *testing.T) *governance.Policy {
	t.Helper()
	p, err := governance.Parse([]byte("sdk:\n  prefix: ops_\n"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSDKPrefixArchiveRunListRestore archives, lists, verifies, restores, rebuilds and
// purges under sdk.prefix ops_: the catalog and its event log are in ops_archive, the
// legal holds Run obeys and the purge audit records are in ops_retention, and no
// lsos_* schema is created. The default policy's catalog does not exist.
func TestSDKPrefixArchiveRunListRestore(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	store := fileStore(t)
	p := opsPolicy(t)
	cat := For(p)
	if cat.Schema() != "ops_archive" || For(nil).Schema() != Schema {
		t.Fatalf("schemas: For(ops_) %q, For(nil) %q", cat.Schema(), For(nil).Schema())
	}
	now := func() time.Time { return fixedNow }
	const part = "public.ranking_snapshots_2025_02"

	// A hold in ops_retention blocks the drop: Run asks the policy's retention schema.
	rb := retention.For(p)
	if err := rb.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	h, err := rb.AddHold(ctx, db, retention.HoldSpec{Table: part, Reason: "litigation", By: "legal", From: fixedNow.AddDate(-1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(ctx, db, store, p, Options{Partitions: []Partition{{Name: part}}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Partitions[0]; r.State != stateDetached || !strings.Contains(r.Skipped, fmt.Sprintf("legal hold [%d]", h.ID)) {
		t.Fatalf("partition under hold %d in ops_retention: %+v", h.ID, r)
	}
	if err := rb.ReleaseHold(ctx, db, h.ID, "legal", fixedNow.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	rep, err = Run(ctx, db, store, p, Options{Partitions: []Partition{{Name: part}}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Partitions[0]; r.State != stateDropped || r.Rows == 0 {
		t.Fatalf("after the release: %+v", r)
	}
	rows := rep.Partitions[0].Rows

	entries, err := cat.List(ctx, db)
	if err != nil || len(entries) != 1 || entries[0].Partition != part {
		t.Fatalf("List: %+v %v", entries, err)
	}
	id := entries[0].ID
	if n := count(t, db, `SELECT count(*) FROM ops_archive.archives WHERE id = $1 AND state = 'dropped'`, id); n != 1 {
		t.Fatal("the catalog row is not in ops_archive.archives")
	}
	if n := count(t, db, `SELECT count(*) FROM ops_archive.events WHERE archive_id = $1`, id); n < 5 {
		t.Fatalf("ops_archive.events holds %d events of the archive", n)
	}
	if _, err := cat.Get(ctx, db, id); err != nil {
		t.Fatal(err)
	}
	if found, err := cat.Find(ctx, db, FindOptions{Table: "ranking_snapshots"}); err != nil || len(found) != 1 {
		t.Fatalf("Find: %+v %v", found, err)
	}
	if err := cat.Verify(ctx, db, store, id); err != nil {
		t.Fatal(err)
	}
	r, err := cat.Open(ctx, db, store, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.NumRows() != rows {
		t.Errorf("Open: %d rows, archived %d", r.NumRows(), rows)
	}
	r.Close()
	n, err := cat.Restore(ctx, db, store, id, Target{Table: "restored_2025_02"})
	if err != nil || n != rows {
		t.Fatalf("Restore: %d rows (archived %d), %v", n, rows, err)
	}
	if got := count(t, db, `SELECT count(*) FROM restored_2025_02`); got != rows {
		t.Fatalf("restored table holds %d rows, want %d", got, rows)
	}
	if n := count(t, db, `SELECT count(*) FROM ops_archive.events WHERE archive_id = $1 AND step = 'restore'`, id); n != 1 {
		t.Fatalf("%d restore events in ops_archive.events", n)
	}
	if _, err := List(ctx, db); err == nil {
		t.Fatal("the default policy's List read a catalog; lsos_archive must not exist")
	}

	// The catalog rebuilt from the store lands in ops_archive too.
	if _, err := db.Exec(ctx, `DELETE FROM ops_archive.archives`); err != nil {
		t.Fatal(err)
	}
	if got, err := cat.RebuildCatalog(ctx, db, store, "lsos-archive"); err != nil || got != 1 {
		t.Fatalf("RebuildCatalog: %d, %v", got, err)
	}
	if n := count(t, db, `SELECT count(*) FROM ops_archive.archives WHERE id = $1`, id); n != 1 {
		t.Fatal("the rebuilt entry is not in ops_archive.archives")
	}

	// Purge audit records go to ops_retention.deletions.
	res, err := PurgeTenant(ctx, db, store, "2", PurgeOptions{Policy: p, Now: now, AllowUnpurged: true, Actor: "ops"})
	if err != nil || len(res.Archives) != 1 || res.Rows() == 0 {
		t.Fatalf("PurgeTenant: %+v %v", res, err)
	}
	if n := count(t, db, `SELECT count(*) FROM ops_retention.deletions WHERE operation = $1 AND kind = 'archive-purge' AND finished_at IS NOT NULL`, PurgeOperation("2")); n != 1 {
		t.Fatalf("%d finished archive-purge records in ops_retention.deletions", n)
	}
	if err := cat.RecordPurgeSkipped(ctx, db, "4", "store kept by the customer", "ops", fixedNow); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM ops_retention.deletions WHERE operation = $1 AND kind = 'archive-purge-skipped'`, PurgeOperation("4")); n != 1 {
		t.Fatal("the skipped purge is not recorded in ops_retention.deletions")
	}
	if n := count(t, db, `SELECT count(*) FROM pg_namespace WHERE starts_with(nspname, 'lsos_')`); n != 0 {
		t.Fatalf("sdk.prefix ops_ created %d lsos_* schema(s)", n)
	}
}

// TestSDKPrefixRefusesWhileDefaultInstalled: a catalog in lsos_archive (made under the
// default prefix) is not silently replaced by an empty ops_archive.
func TestSDKPrefixRefusesWhileDefaultInstalled(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	if err := Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	err := For(opsPolicy(t)).Install(ctx, db)
	if err == nil || !strings.Contains(err.Error(), `ALTER SCHEMA "lsos_archive" RENAME TO "ops_archive"`) {
		t.Fatalf("Install under ops_ beside lsos_archive = %v", err)
	}
	if n := count(t, db, `SELECT count(*) FROM pg_namespace WHERE nspname = 'ops_archive'`); n != 0 {
		t.Fatal("the refused install created ops_archive")
	}
}
