package archive_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/retention"
)

// exampleDB returns a pool on a fresh copy of the sample LSOS database (the test kit's
// server; in production this is the service's own pool).
func exampleDB(ctx context.Context, now time.Time) (*pgxpool.Pool, func()) {
	srv, err := pgtest.Shared()
	if err != nil {
		log.Fatal(err)
	}
	tmpl, err := srv.Template(ctx, "archive-example", func(ctx context.Context, c *pgx.Conn) error {
		if err := lsos.Apply(ctx, c); err != nil {
			return err
		}
		return lsos.LoadSample(ctx, c, lsos.SampleOptions{Now: now})
	})
	if err != nil {
		log.Fatal(err)
	}
	name := srv.NewDatabaseName("example")
	url, err := srv.CreateDatabase(ctx, name, tmpl)
	if err != nil {
		log.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		log.Fatal(err)
	}
	return pool, func() { pool.Close(); _ = srv.DropDatabase(ctx, name) }
}

// Archive the eligible months of ranking_snapshots, find one month by time and tenant,
// and restore it into a table for an audit.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	db, done := exampleDB(ctx, now)
	defer done()

	store, err := archive.OpenBucket(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	rep, err := archive.Run(ctx, db, store, governance.Default(), archive.Options{
		Tables: []string{"public.ranking_snapshots"},
		Now:    func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	parts, _ := rep.Archived()
	fmt.Println("archived partitions:", parts) // 13-month keep: Nov 2024 … Sep 2025

	found, err := archive.Find(ctx, db, archive.FindOptions{
		Table: "ranking_snapshots",
		From:  time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC),
		To:    time.Date(2025, 3, 16, 0, 0, 0, 0, time.UTC),
	})
	if err != nil || len(found) != 1 {
		log.Fatal(err, len(found))
	}
	fmt.Println("found:", found[0].Partition, found[0].State)

	n, err := archive.Restore(ctx, db, store, found[0].ID, archive.Target{Table: "audit_snapshots_2025_03"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("restored rows match the manifest:", n == found[0].Rows)
	// Output:
	// archived partitions: 11
	// found: public.ranking_snapshots_2025_03 dropped
	// restored rows match the manifest: true
}

// Offboard tenant 2 (soft delete, export, hard delete after the export window) and
// purge its rows from the partition archives exported before, in a file:// store.
func ExamplePurgeTenant() {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	db, done := exampleDB(ctx, now)
	defer done()

	dir, err := os.MkdirTemp("", "lsos-archive-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// The program registers the file:// driver: _ "gocloud.dev/blob/fileblob".
	store, err := archive.OpenBucket(ctx, "file://"+dir)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	clock := func() time.Time { return now }
	rep, err := archive.Run(ctx, db, store, governance.Default(), archive.Options{
		Tables: []string{"public.ranking_snapshots"},
		Now:    clock,
	})
	if err != nil {
		log.Fatal(err)
	}
	parts, _ := rep.Archived()
	held, err := archive.Find(ctx, db, archive.FindOptions{Tenant: "2"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("archived %d partitions, %d hold tenant 2\n", parts, len(held))

	if err := retention.Install(ctx, db); err != nil {
		log.Fatal(err)
	}
	ob, err := retention.NewOffboarder(db, governance.Default(), retention.OffboardConfig{
		Actor: "ops@example", Now: clock,
		FloorCategories: []governance.Category{}, // the sample's audit rows are recent
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := ob.SoftDelete(ctx, "2"); err != nil {
		log.Fatal(err)
	}
	if _, err := ob.Export(ctx, "2", store, "offboarding"); err != nil {
		log.Fatal(err)
	}
	now = now.AddDate(0, 0, 31) // after the export window
	if _, err := ob.HardDelete(ctx, "2"); err != nil {
		log.Fatal(err)
	}

	res, err := archive.PurgeTenant(ctx, db, store, "2", archive.PurgeOptions{Actor: "ops@example", Now: clock})
	if err != nil {
		log.Fatal(err)
	}
	left, err := archive.Find(ctx, db, archive.FindOptions{Tenant: "2"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("purged tenant 2 from %d archives (%d rows); archives still holding it: %d\n", len(res.Archives), res.Rows(), len(left))
	// Output:
	// archived 11 partitions, 11 hold tenant 2
	// purged tenant 2 from 11 archives (440 rows); archives still holding it: 0
}
