package archive

import (
	"context"
	"io/fs"
	"testing"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// TestInstallAdoptsEarlierCatalog: a catalog an earlier SDK created (the same DDL, no
// revisions) is adopted by the migrate engine with its rows; installing again, also from
// several replicas at once, changes nothing.
func TestInstallAdoptsEarlierCatalog(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	ddl, err := fs.ReadFile(Migrations(), "20261120000000_catalog.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, string(ddl)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO lsos_archive.events (archive_id, partition, step, actor, at) VALUES ('a1', 'public.p', 'export', 'ops', now())`); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- Install(ctx, db) }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_archive.events WHERE archive_id = 'a1'`); n != 1 {
		t.Errorf("%d events after the install; want the earlier one", n)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_archive.revisions WHERE state = 'applied'`); n != 1 {
		t.Errorf("%d revisions; want 1", n)
	}
}
