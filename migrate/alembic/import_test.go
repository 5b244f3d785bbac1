package alembic_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/internal/schemasnap"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/migrate/alembic"
)

func TestImportLoadsAndApplies(t *testing.T) {
	requireAlembic(t)
	ctx := context.Background()
	p := openSample(t)
	rend, err := p.Render(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "migrations")
	vs, err := p.Import(ctx, out, alembic.ImportOptions{Rendering: rend})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range vs {
		names = append(names, v.Version+"_"+v.Name)
	}
	want := []string{
		"20260101000000_tenants_users_and_auth_tokens",
		"20260102000000_locations_campaigns_and_keywords",
		"20260103000000_monthly_partitioned_snapshot_tables",
		"20260104000000_reviews_audit_log_and_delivery_log",
		"20260105000000_branding_assets_and_reporting_summaries",
		"20260105120000_merge_reviews_and_artifacts",
		"20260106000000_index_reviews_by_publication_time",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("versions\n got %q\nwant %q", names, want)
	}

	// The native loader accepts it: names, atlas.sum, directives, statements.
	dir, err := migrate.Load(out)
	if err != nil {
		t.Fatalf("migrate.Load of the imported directory: %v", err)
	}
	if err := dir.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if len(dir.Versions) != 7 {
		t.Fatalf("%d versions loaded", len(dir.Versions))
	}
	ix := dir.Versions[6]
	if !ix.Up.Directives.NoTransaction || !ix.Down.Directives.NoTransaction || ix.Up.Directives.LockTimeout != 5*time.Second {
		t.Errorf("directives of the index version: up %+v down %+v", ix.Up.Directives, ix.Down.Directives)
	}
	if dir.Versions[0].Up.Directives.NoTransaction {
		t.Errorf("a transactional revision became no-transaction")
	}

	// It applies on a fresh database and gives the schema Alembic itself builds.
	native := govtest.DB(t)
	m, err := migrate.NewMigrator(native, dir, migrate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := m.Up(ctx); err != nil || len(res) != 7 {
		t.Fatalf("Up: %d applied, %v", len(res), err)
	}
	viaAlembic := govtest.URL(t)
	if err := p.Upgrade(ctx, viaAlembic, ""); err != nil {
		t.Fatalf("alembic upgrade heads: %v", err)
	}
	a, err := schemasnap.Take(ctx, native, "public")
	if err != nil {
		t.Fatal(err)
	}
	pool := poolFor(t, viaAlembic)
	b, err := schemasnap.Take(ctx, pool, "public")
	if err != nil {
		t.Fatal(err)
	}
	delete(b.Tables, "public.alembic_version")
	delete(b.Indexes, "public.alembic_version_pkc")
	delete(b.Constraint, "public.alembic_version.alembic_version_pkc")
	if d := schemasnap.Diff(b, a); d != "" {
		t.Errorf("the imported migrations build another schema than Alembic (-alembic +native):\n%s", d)
	}
	if err := alembic.RequireHead(ctx, pool, p); err != nil {
		t.Errorf("RequireHead after alembic upgrade heads: %v", err)
	}
	// And rolls back.
	if _, err := m.Down(ctx, "0"); err != nil {
		t.Errorf("Down: %v", err)
	}

	// The same directory in memory, for review: it loads from its FS, holds the same
	// bytes as the files written, and maps its lines back to the revision files.
	n, err := p.Native(ctx, alembic.ImportOptions{Rendering: rend})
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(n.FS(), "atlas.sum", "20260106000000_index_reviews_by_publication_time.up.sql"); err != nil {
		t.Errorf("MapFS: %v", err)
	}
	mdir, err := migrate.LoadFS(n.FS())
	if err != nil || len(mdir.Versions) != 7 {
		t.Fatalf("LoadFS of the native directory: %v", err)
	}
	for name, b := range n.Files {
		disk, _ := os.ReadFile(filepath.Join(out, name))
		if string(disk) != string(b) {
			t.Errorf("%s differs between Native and Import", name)
		}
	}
	if file, line, ok := n.Source("20260106000000_index_reviews_by_publication_time.up.sql", 5); !ok || line != 23 || !strings.HasSuffix(file, "7a8b9c0d1e07_reviews_published_index.py") {
		t.Errorf("Source = %s:%d %v, want …7a8b9c0d1e07_reviews_published_index.py:23", file, line, ok)
	}
	if _, _, ok := n.Source("atlas.sum", 1); ok {
		t.Errorf("Source maps atlas.sum")
	}

	// The up file of a version carries the revision's directives first.
	b1, _ := os.ReadFile(vs[6].UpFile)
	if !strings.HasPrefix(string(b1), "-- lsos:no-transaction\n-- lsos:lock_timeout 5s\n-- Alembic revision 7a8b9c0d1e07") {
		t.Errorf("up file:\n%s", b1)
	}
}

func TestImportTimestampsAndRefusals(t *testing.T) {
	requireAlembic(t)
	ctx := context.Background()
	p := openSample(t)
	rend, err := p.Render(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Not into a directory that already holds migrations.
	busy := t.TempDir()
	os.WriteFile(filepath.Join(busy, "atlas.sum"), nil, 0o644)
	if _, err := p.Import(ctx, busy, alembic.ImportOptions{Rendering: rend}); err == nil || !strings.Contains(err.Error(), "empty directory") {
		t.Errorf("import into a busy directory: %v", err)
	}

	// Undated revisions, and a date earlier than its parent's, are stamped one
	// second after the previous version.
	dir := writeProject(t, map[string]string{
		"a.py": strings.Replace(rev("a", "", "", ""), "Create Date: 2026-02-01 10:00:00.000000\n", "", 1),
		"b.py": rev("b", "a", "", ""),
		"c.py": strings.Replace(rev("c", "b", "", ""), "2026-02-01 10:00:00", "2020-01-01 00:00:00", 1),
	})
	q, err := alembic.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Build the rendering from the project itself without Alembic: Import only needs
	// the per-revision SQL, which Render supplies; here a hand-made one.
	fake := &alembic.Rendering{}
	for _, r := range q.Graph().Order {
		fake.Revisions = append(fake.Revisions, &alembic.RenderedRevision{Revision: r, Up: "CREATE TABLE t_" + r.ID + " (id int);\n", Down: "DROP TABLE t_" + r.ID + ";\n"})
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	out := t.TempDir()
	vs, err := q.Import(ctx, out, alembic.ImportOptions{Rendering: fake, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.Version+"_"+v.Name)
	}
	if want := []string{"20260301120000_revision_a", "20260301120001_revision_b", "20260301120002_revision_c"}; !slices.Equal(got, want) {
		t.Errorf("versions %q, want %q", got, want)
	}
	if _, err := migrate.Load(out); err != nil {
		t.Errorf("Load: %v", err)
	}
}
