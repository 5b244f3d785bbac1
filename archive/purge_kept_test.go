package archive

import (
	"context"
	"testing"
	"time"
)

// The kept detached copy of a partition whose name needs quotes (upper case) loses the
// purged tenant's rows too: the purge uses the copy's exact name (Manifest.DetachedName),
// never the plain text re-parsed with SQL rules, which would fold it to lower case.
func TestPurgeKeptCopyMixedCaseName(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	store := fileStore(t)
	if _, err := db.Exec(ctx, `ALTER TABLE ranking_snapshots_2025_01 RENAME TO "Snap_2025_01"`); err != nil {
		t.Fatal(err)
	}
	var mine int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM "Snap_2025_01" WHERE tenant_id::text = '2'`).Scan(&mine); err != nil || mine == 0 {
		t.Fatalf("tenant 2 rows in the partition: %d, %v", mine, err)
	}
	if _, err := run(t, db, store, Options{Partitions: []Partition{{Name: `public."Snap_2025_01"`}}, KeepDetached: true}); err != nil {
		t.Fatal(err)
	}
	res, err := PurgeTenant(ctx, db, store, "2", PurgeOptions{Actor: "ops@lsos", AllowUnpurged: true, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatalf("purge: %v", err)
	}
	if res.Rows() != mine {
		t.Fatalf("purge removed %d rows from archives, want %d", res.Rows(), mine)
	}
	var left int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM lsos_archive_detached."Snap_2025_01" WHERE tenant_id::text = '2'`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("purge succeeded, yet the kept copy lsos_archive_detached.\"Snap_2025_01\" still holds %d rows of the purged tenant", left)
	}
}
