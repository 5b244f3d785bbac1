package retention

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/internal/sdkinstall"
	"github.com/lsos/lsosgov/migrate"
)

// dirVersions lists the versions of the package's migration directory.
func dirVersions(t *testing.T) []string {
	t.Helper()
	d, err := migrate.LoadFS(Migrations())
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, v := range d.Versions {
		vs = append(vs, v.Version)
	}
	return vs
}

type revision struct{ version, kind, note string }

func revisions(t *testing.T, db DB) []revision {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT version, kind, note FROM lsos_retention.revisions ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (revision, error) {
		var v revision
		return v, r.Scan(&v.version, &v.kind, &v.note)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Install applies every version of the native migration directory through the migrate
// engine, in order, records each once, and a second Install changes nothing.
func TestInstallAppliesMigrationsInOrder(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	for range 2 {
		if err := Install(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	want := dirVersions(t)
	var got []string
	for _, r := range revisions(t, db) {
		got = append(got, r.version)
		if r.kind != "transactional" {
			t.Errorf("version %s recorded as %s", r.version, r.kind)
		}
	}
	if !slices.Equal(got, want) || len(want) < 4 {
		t.Fatalf("applied %v, want %v", got, want)
	}
	if n := count(t, db, `SELECT count(*) FROM pg_tables WHERE schemaname = 'lsos_retention' AND tablename = 'schema_migrations'`); n != 0 {
		t.Error("a fresh install has the legacy schema_migrations table")
	}
	mustExec(t, db, `INSERT INTO lsos_retention.deletions (operation, table_name, kind, actor, started_at, source_object, note)
		VALUES ('archive-purge:1', 'x', 'archive-purge', 'ops', now(), 'a/b.parquet', 'n')`)
	if _, err := db.Exec(ctx, `INSERT INTO lsos_retention.deletions (operation, table_name, kind, actor, started_at) VALUES ('o', 't', 'bogus', 'ops', now())`); err == nil {
		t.Error("the kind check accepts any kind")
	}
}

// The archive-purge version keeps the kinds an earlier migration allowed.
func TestArchivePurgeMigrationKeepsExistingKinds(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	first, err := fs.ReadFile(Migrations(), "20261120000000_retention.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	third, err := fs.ReadFile(Migrations(), "20261120000200_archive_purge.up.sql")
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

// legacySetup reproduces an install by the earlier installer: the files it had applied
// (the same statements as the directory's first versions) recorded in
// lsos_retention.schema_migrations.
func legacySetup(t *testing.T, db DB, files int) {
	t.Helper()
	names := []string{"20261120000000_retention.up.sql", "20261120000100_hold_table_schema.up.sql", "20261120000200_archive_purge.up.sql"}
	mustExec(t, db, `CREATE SCHEMA lsos_retention; CREATE TABLE lsos_retention.schema_migrations (
		version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
	for i, n := range names[:files] {
		b, err := fs.ReadFile(Migrations(), n)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, db, string(b))
		mustExec(t, db, `INSERT INTO lsos_retention.schema_migrations (version, applied_at) VALUES ($1, '2026-01-02T03:04:05Z')`, "000"+string(rune('1'+i)))
	}
}

// TestInstallCarriesOverLegacyInstall upgrades a database installed by the earlier
// installer: its versions are baselined (nothing re-run, the note keeps when each file
// was applied), the rest applied, the legacy table retired, and every row kept. Many
// replicas upgrading at once all succeed.
func TestInstallCarriesOverLegacyInstall(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	legacySetup(t, db, 3)
	mustExec(t, db, `INSERT INTO lsos_retention.legal_holds (tenant_id, table_schema, table_name, reason, created_by, active_from)
		VALUES ('7', 'public', 'orders', 'litigation', 'legal', '2026-01-01')`)
	mustExec(t, db, `INSERT INTO lsos_retention.offboarding (tenant_id, state, soft_deleted_at, soft_deleted_by, export_window_end)
		VALUES ('9', 'soft-deleted', '2026-01-01', 'ops', '2026-02-01')`)
	mustExec(t, db, `INSERT INTO lsos_retention.deletions (operation, table_name, kind, actor, started_at, note)
		VALUES ('archive-purge:9', 'x', 'archive-purge', 'ops', now(), 'kept')`)

	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = Install(ctx, db) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	revs := revisions(t, db)
	want := dirVersions(t)
	if len(revs) != len(want) {
		t.Fatalf("revisions %+v; want the versions %v", revs, want)
	}
	for i, r := range revs {
		wantKind := "baseline"
		if i == 3 {
			wantKind = "transactional"
		}
		if r.version != want[i] || r.kind != wantKind {
			t.Errorf("revision %d: %+v; want version %s kind %s", i, r, want[i], wantKind)
		}
		if i < 3 && !strings.Contains(r.note, "0001 at 2026-01-02T03:04:05Z, 0002 at 2026-01-02T03:04:05Z, 0003 at 2026-01-02T03:04:05Z") {
			t.Errorf("baseline note %q does not keep the legacy rows", r.note)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM pg_tables WHERE schemaname = 'lsos_retention' AND tablename = 'schema_migrations'`); n != 0 {
		t.Error("the legacy schema_migrations table is still there")
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_retention.legal_holds WHERE tenant_id = '7' AND table_name = 'orders'`) +
		count(t, db, `SELECT count(*) FROM lsos_retention.offboarding WHERE tenant_id = '9'`) +
		count(t, db, `SELECT count(*) FROM lsos_retention.deletions WHERE note = 'kept'`); n != 3 {
		t.Errorf("%d of the 3 rows survived the upgrade", n)
	}
	if err := Install(ctx, db); err != nil {
		t.Fatal(err)
	}
}

// TestInstallCarriesOverPartialLegacyInstall upgrades an install that had applied only
// the first file: it is baselined there and the later versions run, backfilling the
// holds the first version wrote.
func TestInstallCarriesOverPartialLegacyInstall(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	legacySetup(t, db, 1)
	mustExec(t, db, `INSERT INTO lsos_retention.legal_holds (table_name, reason, created_by, active_from)
		VALUES ('public.orders', 'litigation', 'legal', '2026-01-01')`)
	if err := Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, r := range revisions(t, db) {
		kinds = append(kinds, r.kind)
	}
	if want := []string{"baseline", "transactional", "transactional", "transactional"}; !slices.Equal(kinds, want) {
		t.Fatalf("revision kinds %v; want %v", kinds, want)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_retention.legal_holds WHERE table_schema = 'public' AND table_name = 'orders'`); n != 1 {
		t.Error("the later versions did not backfill the legacy hold")
	}
}

// TestInstallRefusesUnknownLegacyVersion: a legacy table with a version this SDK never
// wrote (a newer SDK's) stops the install instead of guessing.
func TestInstallRefusesUnknownLegacyVersion(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	legacySetup(t, db, 1)
	mustExec(t, db, `INSERT INTO lsos_retention.schema_migrations (version) VALUES ('0009')`)
	if err := Install(context.Background(), db); err == nil || !strings.Contains(err.Error(), `"0009"`) {
		t.Fatalf("Install: %v; want an error naming version 0009", err)
	}
}

// TestInstallThroughTransaction: a transaction cannot run the migrator, so Install
// through one only checks: nil when the schema is up to date, ErrNeedsSession otherwise.
func TestInstallThroughTransaction(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error { return Install(ctx, tx) })
	if !errors.Is(err, sdkinstall.ErrNeedsSession) {
		t.Fatalf("Install through a transaction on an empty database: %v", err)
	}
	if err := Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error { return Install(ctx, tx) }); err != nil {
		t.Fatalf("Install through a transaction once installed: %v", err)
	}
	t.Logf("up-to-date check: %s", time.Since(start))

	// A role that cannot read the revisions table cannot tell; the check must not abort
	// the caller's transaction.
	role := "lsos_ret_ro_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	mustExec(t, db, `CREATE ROLE `+role)
	t.Cleanup(func() { _, _ = db.Exec(context.Background(), `DROP OWNED BY `+role+`; DROP ROLE `+role) })
	mustExec(t, db, `GRANT USAGE ON SCHEMA lsos_retention TO `+role)
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL ROLE `+role); err != nil {
			return err
		}
		if err := Install(ctx, tx); !errors.Is(err, sdkinstall.ErrNeedsSession) {
			t.Errorf("Install as a role that cannot read the revisions: %v", err)
		}
		_, err := tx.Exec(ctx, `SELECT 1`)
		return err
	})
	if err != nil {
		t.Fatalf("the transaction is unusable after the check: %v", err)
	}
}

func count(t *testing.T, db DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
