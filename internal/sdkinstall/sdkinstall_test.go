package sdkinstall_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/integrity"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/internal/sdkinstall"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/retention"
)

type component struct {
	schema  string
	dir     func(t *testing.T) *migrate.Dir
	install func(ctx context.Context, db *pgxpool.Pool) error
}

func components() map[string]component {
	loadFS := func(c *sdkinstall.Component) func(t *testing.T) *migrate.Dir {
		return func(t *testing.T) *migrate.Dir {
			d, err := c.Dir()
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
	}
	return map[string]component{
		"retention": {"lsos_retention", func(t *testing.T) *migrate.Dir {
			d, err := migrate.LoadFS(retention.Migrations())
			if err != nil {
				t.Fatal(err)
			}
			return d
		}, func(ctx context.Context, db *pgxpool.Pool) error { return retention.Install(ctx, db) }},
		"archive": {"lsos_archive", func(t *testing.T) *migrate.Dir {
			d, err := migrate.LoadFS(archive.Migrations())
			if err != nil {
				t.Fatal(err)
			}
			return d
		}, func(ctx context.Context, db *pgxpool.Pool) error { return archive.Install(ctx, db) }},
		"integrity": {"lsos_integrity", loadFS(sdkinstall.Integrity),
			func(ctx context.Context, db *pgxpool.Pool) error { return integrity.Install(ctx, db) }},
	}
}

func tables(t *testing.T, db *pgxpool.Pool, schema string) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestComponentsRoundTrip installs each of the SDK's schemas through the migrate engine
// from several goroutines at once, rolls every version back (leaving only the revisions tables of the schema) and
// installs again. Loading each directory checks its atlas.sum and rollback files.
func TestComponentsRoundTrip(t *testing.T) {
	for name, c := range components() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := pgtest.DB(t, "", nil)
			dir := c.dir(t)
			// Replicas starting at once: the migrator's lock lets one apply, the others
			// find the versions applied.
			errs := make(chan error, 4)
			for range 4 {
				go func() { errs <- c.install(ctx, db) }()
			}
			for range 4 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			installed := tables(t, db, c.schema)
			if len(installed) <= 2 {
				t.Fatalf("%s holds only %v after Install", c.schema, installed)
			}
			m, err := migrate.NewMigrator(db, dir, migrate.Config{Schema: c.schema})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Down(ctx, "0"); err != nil {
				t.Fatal(err)
			}
			if got := tables(t, db, c.schema); !slices.Equal(got, []string{"revision_log", "revisions"}) {
				t.Fatalf("after rolling back every version %s holds %v", c.schema, got)
			}
			if err := c.install(ctx, db); err != nil {
				t.Fatal(err)
			}
			if got := tables(t, db, c.schema); !slices.Equal(got, installed) {
				t.Fatalf("reinstalled %v; first install %v", got, installed)
			}
		})
	}
}

// TestIntegrityAdoptsEarlierTable: a runs table created on first use by an earlier SDK
// (no revisions) is adopted by the first install with its rows.
func TestIntegrityAdoptsEarlierTable(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	if _, err := db.Exec(ctx, `CREATE SCHEMA lsos_integrity;
		CREATE TABLE lsos_integrity.lsos_integrity_runs (
			id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, started_at timestamptz NOT NULL,
			finished_at timestamptz NOT NULL, policy_version text NOT NULL, errors integer NOT NULL,
			warnings integer NOT NULL, infos integer NOT NULL, incomplete boolean NOT NULL, report jsonb NOT NULL);
		INSERT INTO lsos_integrity.lsos_integrity_runs (started_at, finished_at, policy_version, errors, warnings, infos, incomplete, report)
		VALUES (now(), now(), 'old', 1, 0, 0, false, '{"findings":[]}')`); err != nil {
		t.Fatal(err)
	}
	if err := integrity.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	runs, err := integrity.Runs(ctx, db, 10)
	if err != nil || len(runs) != 1 || runs[0].PolicyVersion != "old" {
		t.Fatalf("runs after the install: %v %+v", err, runs)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM lsos_integrity.revisions`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("revisions: %d %v", n, err)
	}
}
