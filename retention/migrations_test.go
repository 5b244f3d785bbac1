package retention

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// Install applies every migration file in version order (whatever versions exist in
// between) and records each once.
func TestInstallAppliesMigrationsInOrder(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	for range 2 {
		if err := Install(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	names, _ := fs.Glob(Migrations(), "*.sql")
	var want []string
	for _, n := range names {
		want = append(want, strings.SplitN(n, "_", 2)[0])
	}
	slices.Sort(want)
	rows, err := db.Query(ctx, `SELECT version FROM lsos_retention.schema_migrations ORDER BY applied_at, version`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var v string
		_ = rows.Scan(&v)
		got = append(got, v)
	}
	rows.Close()
	if !slices.Equal(got, want) || !slices.Contains(got, "0003") {
		t.Fatalf("applied %v, want %v", got, want)
	}
	mustExec(t, db, `INSERT INTO lsos_retention.deletions (operation, table_name, kind, actor, started_at, source_object, note)
		VALUES ('archive-purge:1', 'x', 'archive-purge', 'ops', now(), 'a/b.parquet', 'n')`)
	if _, err := db.Exec(ctx, `INSERT INTO lsos_retention.deletions (operation, table_name, kind, actor, started_at) VALUES ('o', 't', 'bogus', 'ops', now())`); err == nil {
		t.Error("the kind check accepts any kind")
	}
}

// 0003 keeps the kinds an earlier migration allowed.
func TestArchivePurgeMigrationKeepsExistingKinds(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	first, err := fs.ReadFile(Migrations(), "0001_retention.sql")
	if err != nil {
		t.Fatal(err)
	}
	third, err := fs.ReadFile(Migrations(), "0003_archive_purge.sql")
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, string(first))
	mustExec(t, db, `ALTER TABLE lsos_retention.deletions DROP CONSTRAINT deletions_kind_check,
		ADD CONSTRAINT deletions_kind_check CHECK (kind IN ('hard-delete', 'sweep', 'other-kind'))`)
	mustExec(t, db, string(third))
	mustExec(t, db, string(third)) // idempotent
	for _, k := range []string{"hard-delete", "sweep", "other-kind", "archive-purge", "archive-purge-skipped"} {
		mustExec(t, db, `INSERT INTO lsos_retention.deletions (operation, table_name, kind, actor, started_at) VALUES ($1, 't', $1, 'ops', now())`, k)
	}
}
