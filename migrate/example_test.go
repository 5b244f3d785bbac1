package migrate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/migrate"
)

// exampleDB gives an Example a fresh database on a PostgreSQL of its own (in a
// service: your database).
func exampleDB() (*pgxpool.Pool, func()) {
	ctx := context.Background()
	srv, err := govtest.StartPostgres(ctx, govtest.PostgresOptions{})
	if err != nil {
		panic(err)
	}
	_, url, err := srv.CreateDatabase(ctx, "example")
	if err != nil {
		panic(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		panic(err)
	}
	return pool, func() { pool.Close(); _ = srv.Close() }
}

// Load the sample LSOS migrations from an embedded file system and apply them.
func ExampleMigrator_Up() {
	ctx := context.Background()
	db, done := exampleDB()
	defer done()

	dir, err := migrate.LoadFS(lsos.Migrations())
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := migrate.NewMigrator(db, dir, migrate.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := m.Up(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		fmt.Println(r.Version, r.Name, r.Kind)
	}
	again, _ := m.Up(ctx)
	fmt.Println("second run applied", len(again))
	// Output:
	// 20260101000000 tenants_users transactional
	// 20260102000000 locations_campaigns_keywords transactional
	// 20260103000000 snapshots transactional
	// 20260104000000 reviews_and_logs transactional
	// 20260105000000 artifacts_summaries transactional
	// 20260106000000 reviews_published_index no-transaction
	// second run applied 0
}

// Create a new version pair on disk; the checksum file is rewritten.
func ExampleNew() {
	path, _ := os.MkdirTemp("", "migrations")
	defer os.RemoveAll(path)
	up, down, err := migrate.New(path, "add_reviews", time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(filepath.Base(up))
	fmt.Println(filepath.Base(down))
	dir, err := migrate.Load(path)
	fmt.Println(len(dir.Versions), err)
	// Output:
	// 20261126120000_add_reviews.up.sql
	// 20261126120000_add_reviews.down.sql
	// 1 <nil>
}

// Read the directives a version declares.
func ExampleVersion_directives() {
	dir, _ := migrate.LoadFS(lsos.Migrations())
	v := dir.Lookup("20260106000000")
	stmts, err := v.Up.Statements() // parsed on first use
	fmt.Println(v.ID(), "no-transaction:", v.NoTransaction, "statements:", len(stmts), err)
	// Output:
	// 20260106000000_reviews_published_index no-transaction: true statements: 1 <nil>
}

// A hand-made index on the live database is drift: the applied versions, replayed on a
// scratch database, do not produce it.
func ExampleDrift() {
	ctx := context.Background()
	dir, err := migrate.LoadFS(lsos.Migrations())
	if err != nil {
		panic(err)
	}
	live, dropLive := exampleDB()
	defer dropLive()
	m, err := migrate.NewMigrator(live, dir, migrate.Config{})
	if err != nil {
		panic(err)
	}
	if _, err := m.Up(ctx); err != nil {
		panic(err)
	}
	if _, err := live.Exec(ctx, "CREATE INDEX reviews_rating_hotfix ON reviews (rating)"); err != nil {
		panic(err)
	}
	dev, dropDev := exampleDB() // an empty scratch database
	defer dropDev()
	diffs, err := migrate.Drift(ctx, live, dir, migrate.DriftOptions{Dev: dev})
	if err != nil {
		panic(err)
	}
	for _, d := range diffs {
		fmt.Println(d.Change, d.Kind, d.Object)
	}
	// Output:
	// changed table public.reviews
	// extra index public.reviews_rating_hotfix
}
