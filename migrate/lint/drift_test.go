package lint

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/migrate"
)

func TestDriftFindsHotfixes(t *testing.T) {
	ctx := context.Background()
	d := buildDir(t, dirCase{migs: one("CREATE VIEW project_titles AS SELECT id, title FROM projects;")})
	live := pgtest.DB(t, "", nil)
	for _, v := range d.Versions {
		if _, err := live.Exec(ctx, string(v.Up.Bytes)); err != nil {
			t.Fatal(err)
		}
	}
	clean, err := migrate.Drift(ctx, live, d, migrate.DriftOptions{Dev: pgtest.DB(t, "", nil), Applied: allVersions(d)})
	if err != nil {
		t.Fatal(err)
	}
	if len(clean) != 0 {
		t.Fatalf("a database migrated from the directory has no drift, got %v", clean)
	}
	hotfix := `CREATE INDEX projects_title_hotfix ON projects (title);
ALTER TABLE projects ADD COLUMN hotfix_flag boolean;
CREATE TABLE ranking_snapshots_2026_02 PARTITION OF ranking_snapshots FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
CREATE OR REPLACE VIEW project_titles AS SELECT id, title, status FROM projects;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER projects_touch BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY accounts_tenant ON accounts USING (tenant_id = 1);
DROP INDEX projects_created_idx;`
	if _, err := live.Exec(ctx, hotfix); err != nil {
		t.Fatal(err)
	}
	diffs, err := migrate.Drift(ctx, live, d, migrate.DriftOptions{Dev: pgtest.DB(t, "", nil), Applied: allVersions(d)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range diffs {
		got = append(got, x.Change+" "+x.Kind+" "+x.Object)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"changed table public.projects",
		"extra index public.projects_title_hotfix",
		"missing index public.projects_created_idx",
		"extra partition public.ranking_snapshots_2026_02",
		"changed view public.project_titles",
		"extra function public.touch()",
		"extra trigger public.projects.projects_touch",
		"extra rls public.accounts",
		"extra policy public.accounts.accounts_tenant",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("drift lacks %q; got:\n%s", want, all)
		}
	}
	// Only the versions applied: the view's version is not, so the live view is extra.
	diffs, err = migrate.Drift(ctx, live, d, migrate.DriftOptions{Dev: pgtest.DB(t, "", nil), Applied: []string{baseVersion}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range diffs {
		found = found || (x.Kind == "view" && x.Change == "extra")
	}
	if !found {
		t.Errorf("with only the base applied, the view must be extra: %v", diffs)
	}
	if _, err := migrate.Drift(ctx, live, d, migrate.DriftOptions{Dev: live, Applied: allVersions(d)}); !errors.Is(err, migrate.ErrDevNotEmpty) {
		t.Errorf("drift must refuse a non-empty dev database (never replay on the target): %v", err)
	}
}

// TestDriftIgnorePartitions leaves run-time partitions out but still sees a change to
// the partitioned parent.
func TestDriftIgnorePartitions(t *testing.T) {
	ctx := context.Background()
	d := buildDir(t, dirCase{})
	live := pgtest.DB(t, "", nil)
	for _, v := range d.Versions {
		if _, err := live.Exec(ctx, string(v.Up.Bytes)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := live.Exec(ctx, `CREATE TABLE ranking_snapshots_2026_02 PARTITION OF ranking_snapshots FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
COMMENT ON TABLE ranking_snapshots_2026_02 IS 'made by partition maintenance'`); err != nil {
		t.Fatal(err)
	}
	list := func(o migrate.DriftOptions) string {
		o.Dev, o.Applied = pgtest.DB(t, "", nil), allVersions(d)
		diffs, err := migrate.Drift(ctx, live, d, o)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range diffs {
			got = append(got, x.Change+" "+x.Kind+" "+x.Object)
		}
		return strings.Join(got, "\n")
	}
	if got := list(migrate.DriftOptions{}); !strings.Contains(got, "extra partition public.ranking_snapshots_2026_02") || !strings.Contains(got, "extra index public.ranking_snapshots_2026_02_tenant_id_captured_on_idx") {
		t.Fatalf("without IgnorePartitions the partition and its index are drift:\n%s", got)
	}
	if got := list(migrate.DriftOptions{IgnorePartitions: true}); got != "" {
		t.Fatalf("run-time partitions must be ignored, got:\n%s", got)
	}
	// A hand-made index on the parent reaches every child: still drift, reported once
	// for the parent and not for the children.
	if _, err := live.Exec(ctx, `CREATE INDEX ranking_snapshots_keyword_hotfix ON ranking_snapshots (keyword)`); err != nil {
		t.Fatal(err)
	}
	got := list(migrate.DriftOptions{IgnorePartitions: true})
	if !strings.Contains(got, "extra index public.ranking_snapshots_keyword_hotfix") || strings.Contains(got, "2026_0") {
		t.Fatalf("a parent hotfix must be found, its children's copies not listed:\n%s", got)
	}
}
