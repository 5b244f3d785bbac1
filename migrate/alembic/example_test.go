package alembic_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/migrate/alembic"
)

// Open reads the sample project and lists its revisions in apply order, its head, and
// its findings (none: every revision has a rollback and is recorded in
// lsos-alembic.sum).
func ExampleOpen() {
	proj, err := alembic.Open(filepath.Join("..", "..", "examples", "lsos-alembic"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range proj.Graph().Order {
		fmt.Printf("%s %v %s\n", r.ID, r.DownRevisions, r.Message)
	}
	fmt.Println("heads:", proj.Graph().HeadIDs())
	fmt.Println("findings:", len(proj.Findings(nil)))
	// Output:
	// 1a2b3c4d5e01 [] tenants, users and auth tokens
	// 2b3c4d5e6f02 [1a2b3c4d5e01] locations, campaigns and keywords
	// 3c4d5e6f7a03 [2b3c4d5e6f02] monthly-partitioned snapshot tables
	// 4d5e6f7a8b04 [3c4d5e6f7a03] reviews, audit log and delivery log
	// 5e6f7a8b9c05 [3c4d5e6f7a03] branding assets and reporting summaries
	// 6f7a8b9c0d06 [4d5e6f7a8b04 5e6f7a8b9c05] merge reviews and artifacts
	// 7a8b9c0d1e07 [6f7a8b9c0d06] index reviews by publication time
	// heads: [7a8b9c0d1e07]
	// findings: 0
}

// A service refuses to start until the database is at the head revision.
func ExampleRequireHead() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://app@db/lsos")
	if err != nil {
		panic(err)
	}
	proj, err := alembic.Open("migrations")
	if err != nil {
		panic(err)
	}
	if err := alembic.RequireHead(ctx, pool, proj); err != nil {
		var nh *alembic.NotAtHeadError
		if errors.As(err, &nh) {
			fmt.Println(len(nh.Pending), "pending,", len(nh.Unknown), "unknown")
		}
		panic(err) // "alembic: the database is at …, not at head …; 2 pending: …"
	}
}

// Render gives each revision's SQL with its directives, ready for review.
func ExampleProject_Render() {
	proj, err := alembic.Open("migrations")
	if err != nil {
		panic(err)
	}
	rend, err := proj.Render(context.Background())
	if errors.Is(err, alembic.ErrToolNotFound) {
		panic("install Alembic: apt-get install alembic python3-psycopg2")
	}
	if err != nil {
		panic(err)
	}
	for _, rr := range rend.Revisions {
		fmt.Print(rr.File(alembic.Up)) // -- lsos:… block, then the statements
	}
}
