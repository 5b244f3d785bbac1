package reliability

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
	"github.com/lsos/lsosgov/migrate"
)

// The roles below are the ones RELIABILITY.md (§5, least privilege) documents, created
// with exactly the grants it lists. A production database usually has one role that
// owns the application's tables; the migrate and archive roles get owner privileges by
// membership in it (GRANT owner TO role), never by being superusers.

// ownTablesBy creates a NOLOGIN role and makes it the owner of every table (partitioned
// parents and partitions included) of schema public, as a production owner role would
// be; it returns the role's quoted name.
func ownTablesBy(t *testing.T, admin *pgxpool.Pool) string {
	t.Helper()
	ctx := context.Background()
	role := sqlident.Quote("rel_app_owner_" + randomHex(t, 4))
	if _, err := admin.Exec(ctx, `CREATE ROLE `+role+` NOLOGIN`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), `DROP OWNED BY `+role+` CASCADE`)
		_, _ = admin.Exec(context.Background(), `DROP ROLE `+role)
	})
	if _, err := admin.Exec(ctx, `DO $$ DECLARE r record; BEGIN
		FOR r IN SELECT c.oid::regclass AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') LOOP
			EXECUTE format('ALTER TABLE %s OWNER TO %s', r.rel, `+sqlident.QuoteLiteral(role)+`);
		END LOOP; END $$`); err != nil {
		t.Fatal(err)
	}
	return role
}

func databaseName(t *testing.T, db *pgxpool.Pool) string {
	t.Helper()
	var name string
	if err := db.QueryRow(context.Background(), `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

// schemaShape lists every column, index and constraint outside the system schemas, one
// line each, sorted: two databases with equal shapes have the same schema.
func schemaShape(t *testing.T, db archive.DB, skipSchemas ...string) []string {
	t.Helper()
	skip := append([]string{"pg_catalog", "information_schema", "pg_toast"}, skipSchemas...)
	rows, err := db.Query(context.Background(), `
		SELECT format('column %I.%I.%I %s null=%s default=%s', c.table_schema, c.table_name, c.column_name, c.data_type, c.is_nullable, c.column_default)
		FROM information_schema.columns c WHERE c.table_schema <> ALL ($1)
		UNION ALL
		SELECT format('index %I %s', schemaname, indexdef) FROM pg_indexes WHERE schemaname <> ALL ($1)
		UNION ALL
		SELECT format('constraint %s %I %s', k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid))
		FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname <> ALL ($1)
		ORDER BY 1`, skip)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// roleMigrations is a directory whose versions need each documented privilege: v1
// creates a table (CREATE on schema public), v2 creates a table and alters the sample's
// tenants table (owner privileges on it) in one transaction, v3 builds an index without
// a transaction.
func roleMigrations(t *testing.T) (*migrate.Dir, []string) {
	t.Helper()
	files := map[string]string{
		"20260201000000_notes.up.sql":          "CREATE TABLE notes (id int PRIMARY KEY, tenant_id bigint NOT NULL, body text NOT NULL);\n",
		"20260201000000_notes.down.sql":        "DROP TABLE notes;\n",
		"20260202000000_regions.up.sql":        "CREATE TABLE regions (id int PRIMARY KEY, name text NOT NULL);\nALTER TABLE tenants ADD COLUMN region_id int;\n",
		"20260202000000_regions.down.sql":      "ALTER TABLE tenants DROP COLUMN region_id;\nDROP TABLE regions;\n",
		"20260203000000_notes_tenant.up.sql":   "-- lsos:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS notes_tenant_idx ON notes (tenant_id);\n",
		"20260203000000_notes_tenant.down.sql": "-- lsos:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS notes_tenant_idx;\n",
	}
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrate.Hash(dir); err != nil {
		t.Fatal(err)
	}
	d, err := migrate.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d, []string{"20260201000000", "20260202000000", "20260203000000"}
}

// revisionsState is the revisions table and the revision log as text (nil when the
// schema does not exist yet).
func revisionsState(t *testing.T, db archive.DB) []string {
	t.Helper()
	if count(t, db, `SELECT count(*) FROM pg_namespace WHERE nspname = 'lsos_migrate'`) == 0 {
		return nil
	}
	rows, err := db.Query(context.Background(), `
		SELECT format('rev %s %s %s %s', version, state, applied_by, checksum) FROM lsos_migrate.revisions
		UNION ALL SELECT format('log %s %s %s %s', id, version, action, actor) FROM lsos_migrate.revision_log ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func roleName(t *testing.T, url string) string {
	t.Helper()
	i := strings.Index(url, "://")
	user, _, _ := strings.Cut(url[i+3:], ":")
	return user
}

// TestMigrateRoles runs the migrator as the documented DDL role (CREATE on the database
// for lsos_migrate, USAGE and CREATE on schema public, membership in the role owning the
// tables it alters): Up applies every version and Down rolls all back. A read-only role
// and a DDL role lacking the owner membership are refused with a *migrate.PrivilegeError
// naming what to grant, and leave the revisions, the revision log and the schema exactly
// as they were (a refused transactional version leaves none of its statements behind).
func TestMigrateRoles(t *testing.T) {
	t.Parallel()
	ddlGrants := func(db string) []string {
		return []string{
			`GRANT CREATE ON DATABASE ` + sqlident.Quote(db) + ` TO ROLE`,
			`GRANT USAGE, CREATE ON SCHEMA public TO ROLE`,
		}
	}

	t.Run("ddl-role", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		adminURL, admin := fresh(t)
		before := schemaShape(t, admin)
		owner := ownTablesBy(t, admin)
		url := createRole(t, admin, adminURL, "rel_migrator", "mig-"+randomHex(t, 8), "", append(ddlGrants(databaseName(t, admin)), `GRANT `+owner+` TO ROLE`)...)
		d, versions := roleMigrations(t)
		m, err := migrate.NewMigrator(poolFor(t, url), d, migrate.Config{LockWait: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		res, err := m.Up(ctx)
		if err != nil {
			t.Fatalf("Up as the DDL role: %v", err)
		}
		if len(res) != len(versions) {
			t.Fatalf("Up applied %d versions, want %d", len(res), len(versions))
		}
		if !exists(t, admin, "notes") || !exists(t, admin, "regions") || !exists(t, admin, "notes_tenant_idx") ||
			count(t, admin, `SELECT count(*) FROM information_schema.columns WHERE table_name = 'tenants' AND column_name = 'region_id'`) != 1 {
			t.Fatal("the schema is not at the last version after Up")
		}
		who := roleName(t, url)
		if n := count(t, admin, `SELECT count(*) FROM lsos_migrate.revisions WHERE state = 'applied' AND applied_by = $1`, who); n != int64(len(versions)) {
			t.Fatalf("%d revisions applied by %s, want %d", n, who, len(versions))
		}
		res, err = m.Down(ctx, "0")
		if err != nil {
			t.Fatalf("Down as the DDL role: %v", err)
		}
		if len(res) != len(versions) {
			t.Fatalf("Down rolled back %d versions, want %d", len(res), len(versions))
		}
		if diff := cmp.Diff(before, schemaShape(t, admin, "lsos_migrate")); diff != "" {
			t.Fatalf("after Up and Down the schema differs from the original (-want +got):\n%s", diff)
		}
		t.Logf("FIGURE DDL role: Up applied %d versions (create, alter an owned table, index concurrently), Down rolled back %d", len(versions), len(res))
	})

	t.Run("read-only-role", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		adminURL, admin := fresh(t)
		d, _ := roleMigrations(t)
		am, err := migrate.NewMigrator(admin, d, migrate.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := am.UpTo(ctx, "20260201000000"); err != nil {
			t.Fatal(err)
		}
		url := createRole(t, admin, adminURL, "rel_reader", "ro-"+randomHex(t, 8), "",
			`GRANT USAGE ON SCHEMA public TO ROLE`, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ROLE`)
		shape, revs := schemaShape(t, admin), revisionsState(t, admin)
		m, err := migrate.NewMigrator(poolFor(t, url), d, migrate.Config{LockWait: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.Up(ctx)
		var pe *migrate.PrivilegeError
		db := databaseName(t, admin)
		if !errors.As(err, &pe) || !errors.Is(err, migrate.ErrPrivilege) || pe.Privilege != "CREATE on database "+db ||
			!strings.Contains(err.Error(), "lacks CREATE on database "+db) || !strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("Up as a read-only role = %v; want a *migrate.PrivilegeError naming CREATE on database %s", err, db)
		}
		if diff := cmp.Diff(shape, schemaShape(t, admin)); diff != "" {
			t.Fatalf("a refused Up changed the schema (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(revs, revisionsState(t, admin)); diff != "" {
			t.Fatalf("a refused Up changed the revisions (-before +after):\n%s", diff)
		}
		t.Logf("FIGURE read-only role refused by migrate: %v", err)
	})

	t.Run("ddl-role-without-owner", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		adminURL, admin := fresh(t)
		ownTablesBy(t, admin)
		url := createRole(t, admin, adminURL, "rel_migrator", "mig-"+randomHex(t, 8), "", ddlGrants(databaseName(t, admin))...)
		d, versions := roleMigrations(t)
		m, err := migrate.NewMigrator(poolFor(t, url), d, migrate.Config{LockWait: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		tenants := func() []string {
			var out []string
			for _, s := range schemaShape(t, admin) {
				if strings.Contains(s, "tenants") || strings.Contains(s, "regions") {
					out = append(out, s)
				}
			}
			return out
		}
		tenantsBefore := tenants()
		res, err := m.Up(ctx)
		var pe *migrate.PrivilegeError
		var partial *migrate.PartialError
		var se *migrate.StatementError
		if !errors.As(err, &pe) || !errors.As(err, &partial) || !errors.As(err, &se) ||
			!strings.HasPrefix(pe.Privilege, "ownership of table tenants") || partial.Failed.Version != versions[1] || se.Index != 1 ||
			!strings.Contains(err.Error(), "lacks ownership of table tenants") {
			t.Fatalf("Up as a DDL role that does not own tenants = %v; want a *migrate.PrivilegeError naming ownership of table tenants at statement 2 of %s", err, versions[1])
		}
		if len(res) != 1 || res[0].Version != versions[0] {
			t.Fatalf("applied %+v; want only %s", res, versions[0])
		}
		// Nothing of the refused version: its first statement (CREATE TABLE regions)
		// rolled back with the second, no revision, no log record; later versions not run.
		if diff := cmp.Diff(tenantsBefore, tenants()); diff != "" {
			t.Fatalf("the refused version left changes (-before +after):\n%s", diff)
		}
		if exists(t, admin, "regions") || exists(t, admin, "notes_tenant_idx") {
			t.Fatal("a statement of the refused version, or a later version, took effect")
		}
		got := revisionsState(t, admin)
		if len(got) != 2 || !strings.HasPrefix(got[1], "rev "+versions[0]+" applied") || !strings.Contains(got[0], versions[0]+" apply") {
			t.Fatalf("revisions after the refusal: %q; want only %s applied and logged", got, versions[0])
		}
		t.Logf("FIGURE DDL role without owner membership refused at %s: %v", versions[1], pe)
	})
}

// storeFiles lists the files of a file:// store directory.
func storeFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	if err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, p)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestArchiveRoles runs archive.Run as the documented archive role: membership in the
// role owning the partitioned tables and their partitions, CREATE on the database (it
// installs lsos_archive on first use and owns it), USAGE on schema public, and USAGE on
// lsos_retention with SELECT on its legal_holds. It detaches and drops the partitions,
// and live plus restored rows equal the original. A role lacking the owner membership,
// or the legal-hold read, is refused before the first step with an
// *archive.PrivilegeError naming the missing privilege: the partition stays attached
// with its rows, and no catalog entry, event, object or manifest exists for it.
func TestArchiveRoles(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return fixedNow }
	p := governance.Default()
	parts := []string{"public.ranking_snapshots_2025_01", "public.crawl_outputs_2025_01"}
	// setup returns a fresh database whose tables belong to an owner role and whose
	// lsos_archive is not installed yet (the role under test installs it).
	setup := func(t *testing.T) (string, *pgxpool.Pool, string, string) {
		adminURL, admin := fresh(t)
		if _, err := admin.Exec(context.Background(), `DROP SCHEMA lsos_archive CASCADE`); err != nil {
			t.Fatal(err)
		}
		return adminURL, admin, ownTablesBy(t, admin), databaseName(t, admin)
	}
	grants := func(db string) []string {
		return []string{
			`GRANT CREATE ON DATABASE ` + sqlident.Quote(db) + ` TO ROLE`,
			`GRANT USAGE ON SCHEMA public TO ROLE`,
		}
	}
	holdsRead := []string{`GRANT USAGE ON SCHEMA lsos_retention TO ROLE`, `GRANT SELECT ON lsos_retention.legal_holds TO ROLE`}

	t.Run("archive-role", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		adminURL, admin, owner, db := setup(t)
		url := createRole(t, admin, adminURL, "rel_archiver", "arc-"+randomHex(t, 8), "",
			append(append(grants(db), `GRANT `+owner+` TO ROLE`), holdsRead...)...)
		before := map[string]digest{}
		for _, part := range parts {
			before[part] = digestOf(t, admin, part, "")
		}
		storeDir := t.TempDir()
		store := openStore(t, storeDir)
		rep, err := archive.Run(ctx, poolFor(t, url), store, p, archive.Options{Now: now, Partitions: []archive.Partition{{Name: parts[0]}, {Name: parts[1]}}})
		if err != nil {
			t.Fatalf("archive.Run as the archive role: %v", err)
		}
		if n, _ := rep.Archived(); n != len(parts) {
			t.Fatalf("archived %d partitions of %d: %+v", n, len(parts), rep.Partitions)
		}
		who := roleName(t, url)
		for _, part := range parts {
			if exists(t, admin, part) {
				t.Fatalf("%s still exists after the archive role's run", part)
			}
			if n := count(t, admin, `SELECT count(*) FROM lsos_archive.events WHERE partition = $1 AND step = 'drop' AND actor = $2`, part, who); n != 1 {
				t.Fatalf("%d drop events of %s by %s, want 1", n, part, who)
			}
			parent := strings.TrimSuffix(part, "_2025_01")
			q, n := restoreAll(t, admin, store, parent, "restored_"+strings.TrimPrefix(parent, "public."))
			if n != 1 || digestOf(t, admin, q, "") != before[part] {
				t.Fatalf("restored %s: %d archives, rows %v; want 1 archive with %v", part, n, digestOf(t, admin, q, ""), before[part])
			}
		}
		if owner := count(t, admin, `SELECT count(*) FROM pg_namespace WHERE nspname = 'lsos_archive' AND pg_get_userbyid(nspowner) = $1`, who); owner != 1 {
			t.Fatal("lsos_archive was not installed by (and owned by) the archive role")
		}
		t.Logf("FIGURE archive role: %d partitions exported, detached, dropped; restored rows equal the originals", len(parts))
	})

	refused := func(t *testing.T, extra []string, wantStep archive.Step, wantPrivilege string) {
		ctx := context.Background()
		adminURL, admin, _, db := setup(t)
		// SELECT on every table: the role could export, but not detach or drop.
		gs := append(append(grants(db), `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ROLE`), extra...)
		url := createRole(t, admin, adminURL, "rel_archiver", "arc-"+randomHex(t, 8), "", gs...)
		before := map[string]digest{}
		for _, part := range parts {
			before[part] = digestOf(t, admin, part, "")
		}
		storeDir := t.TempDir()
		rep, err := archive.Run(ctx, poolFor(t, url), openStore(t, storeDir), p, archive.Options{Now: now, Partitions: []archive.Partition{{Name: parts[0]}, {Name: parts[1]}}})
		var pe *archive.PrivilegeError
		if !errors.As(err, &pe) || !errors.Is(err, archive.ErrPrivilege) || pe.Step != wantStep || !strings.Contains(pe.Privilege, wantPrivilege) ||
			!strings.Contains(err.Error(), "nothing was exported, detached or dropped") {
			t.Fatalf("archive.Run = %v; want an *archive.PrivilegeError at step %s naming %q", err, wantStep, wantPrivilege)
		}
		for i, part := range parts {
			if !isPartition(t, admin, part) || digestOf(t, admin, part, "") != before[part] {
				t.Fatalf("%s is no longer attached with its rows after a refused run", part)
			}
			if r := rep.Partitions[i]; r.State != "" || r.ID != "" || !strings.Contains(r.Error, wantPrivilege) {
				t.Fatalf("report of %s: %+v", part, r)
			}
		}
		if n := count(t, admin, `SELECT count(*) FROM lsos_archive.archives`) + count(t, admin, `SELECT count(*) FROM lsos_archive.events`); n != 0 {
			t.Fatalf("%d catalog rows or events after a refused run; want none", n)
		}
		if files := storeFiles(t, storeDir); len(files) != 0 {
			t.Fatalf("objects or manifests written by a refused run: %v", files)
		}
		t.Logf("FIGURE archive refused before any step (%s): %v", wantStep, pe)
	}
	t.Run("without-owner-membership", func(t *testing.T) {
		t.Parallel()
		refused(t, holdsRead, archive.StepDetach, "ownership of the parent table public.")
	})
	t.Run("without-legal-hold-read", func(t *testing.T) {
		t.Parallel()
		// Owner of the tables, but cannot read the legal holds it must check before a drop.
		ctx := context.Background()
		adminURL, admin, owner, db := setup(t)
		url := createRole(t, admin, adminURL, "rel_archiver", "arc-"+randomHex(t, 8), "", append(grants(db), `GRANT `+owner+` TO ROLE`)...)
		before := digestOf(t, admin, parts[0], "")
		storeDir := t.TempDir()
		_, err := archive.Run(ctx, poolFor(t, url), openStore(t, storeDir), p, archive.Options{Now: now, Partitions: []archive.Partition{{Name: parts[0]}}})
		var pe *archive.PrivilegeError
		if !errors.As(err, &pe) || pe.Step != archive.StepDrop || !strings.Contains(pe.Privilege, "SELECT on lsos_retention.legal_holds") {
			t.Fatalf("archive.Run without reading legal holds = %v; want an *archive.PrivilegeError naming SELECT on lsos_retention.legal_holds", err)
		}
		if !isPartition(t, admin, parts[0]) || digestOf(t, admin, parts[0], "") != before ||
			count(t, admin, `SELECT count(*) FROM lsos_archive.archives`) != 0 || len(storeFiles(t, storeDir)) != 0 {
			t.Fatal("a run refused for the legal-hold read changed something")
		}
		t.Logf("FIGURE archive refused before any step (drop, legal holds unreadable): %v", pe)
	})
}
