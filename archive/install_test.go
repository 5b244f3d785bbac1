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
	ups, err := fs.Glob(Migrations(), "*.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_archive.revisions WHERE state = 'applied'`); n != int64(len(ups)) {
		t.Errorf("%d revisions; want %d (one per version)", n, len(ups))
	}
	// The adopted catalog gets the later versions' columns.
	if n := count(t, db, `SELECT count(*) FROM information_schema.columns WHERE table_schema = 'lsos_archive' AND table_name = 'archives' AND column_name IN ('manifest_json', 'manifest_sha256')`); n != 2 {
		t.Errorf("the adopted catalog has %d of the manifest hash columns; want 2", n)
	}
}
