package lint

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/migrate"
)

var update = flag.Bool("update", false, "rewrite golden files")

const planBase = `CREATE TABLE tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), email text NOT NULL, UNIQUE (tenant_id, id));
CREATE TABLE projects (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), title text NOT NULL,
  budget numeric(10,2), legacy_code text, UNIQUE (tenant_id, id));
`

// desired returns planBase with projects' body replaced, plus extra SQL.
func desiredWith(projectsExtra, extra string) string {
	s := planBase
	if projectsExtra != "" {
		s = strings.Replace(s, "legacy_code text, UNIQUE", "legacy_code text, "+projectsExtra+", UNIQUE", 1)
	}
	return s + extra
}

func planDir(t *testing.T, extra ...mig) *migrate.Dir {
	t.Helper()
	fsys := fstest.MapFS{
		"20260101000000_base.up.sql":   {Data: []byte(planBase)},
		"20260101000000_base.down.sql": {Data: []byte("DROP TABLE projects, accounts, tenants;\n")},
	}
	for _, m := range extra {
		fsys[m.version+"_"+m.name+".up.sql"] = &fstest.MapFile{Data: []byte(m.up)}
		fsys[m.version+"_"+m.name+".down.sql"] = &fstest.MapFile{Data: []byte("SELECT 1;\n")}
	}
	d, err := LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func renderPlan(res *PlanResult) string {
	var b strings.Builder
	for _, f := range res.Files {
		b.WriteString("== " + f.UpName() + " ==\n" + f.Up + "== " + f.DownName() + " ==\n" + f.Down)
	}
	for _, h := range res.Hints {
		b.WriteString("hint: " + h + "\n")
	}
	return b.String()
}

func TestPlanGolden(t *testing.T) {
	deprecated := mig{version: "20260110000000", name: "deprecate_legacy", up: "-- lsos:deprecates projects.legacy_code\nSELECT 1;"}
	cases := []struct {
		name    string
		extra   []mig
		desired string
	}{
		{"add_column", nil, desiredWith("notes_count integer", "")},
		{"add_not_null_column_with_default", nil, desiredWith("priority integer NOT NULL DEFAULT 0", "")},
		{"add_index_existing_table", nil, planBase + "CREATE INDEX projects_title_idx ON projects (title);\n"},
		{"add_fk", nil, desiredWith("owner_id bigint, CONSTRAINT projects_owner_fk FOREIGN KEY (tenant_id, owner_id) REFERENCES accounts (tenant_id, id)", "")},
		{"drop_column_after_deprecation", []mig{deprecated}, strings.Replace(planBase, "legacy_code text, ", "", 1)},
		{"type_change", nil, strings.Replace(planBase, "numeric(10,2)", "numeric(14,2)", 1)},
		{"new_partitioned_table", nil, planBase + `CREATE TABLE events (tenant_id bigint NOT NULL REFERENCES tenants (id), happened_on date NOT NULL, kind text NOT NULL)
  PARTITION BY RANGE (happened_on);
CREATE TABLE events_2026_01 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE events_2026_02 PARTITION OF events FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			d := planDir(t, c.extra...)
			res, err := Plan(ctx, pgtest.DB(t, "", nil), d, []string{c.desired}, PlanOptions{Name: c.name, Version: "20260301000000"})
			if err != nil {
				t.Fatal(err)
			}
			got := renderPlan(res)
			golden := filepath.Join("testdata", "plan_"+c.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestPlanGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("plan differs from %s:\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
			applyPlan(t, d, res)
		})
	}
}

// applyPlan runs the directory and the planned versions forward on a fresh database,
// then the rollbacks in reverse: an irreversible rollback must stop at its guard.
func applyPlan(t *testing.T, d *migrate.Dir, res *PlanResult) {
	t.Helper()
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	for _, v := range d.Versions {
		if _, err := db.Exec(ctx, string(v.Up.Bytes)); err != nil {
			t.Fatalf("replay %s: %v", v.Up.Name, err)
		}
	}
	for _, f := range res.Files {
		if _, err := db.Exec(ctx, f.Up); err != nil {
			t.Fatalf("generated %s does not apply: %v", f.UpName(), err)
		}
	}
	for i := len(res.Files) - 1; i >= 0; i-- {
		f := res.Files[i]
		_, err := db.Exec(ctx, f.Down)
		irreversible := strings.Contains(f.Down, "RAISE EXCEPTION 'irreversible")
		switch {
		case irreversible && (err == nil || !strings.Contains(err.Error(), "irreversible")):
			t.Fatalf("rollback %s must stop at its irreversible guard, got %v", f.DownName(), err)
		case !irreversible && err != nil:
			t.Fatalf("rollback %s fails: %v", f.DownName(), err)
		}
	}
}

func TestPlanRenameHintAndOption(t *testing.T) {
	ctx := context.Background()
	desired := strings.Replace(planBase, "title text NOT NULL", "headline text NOT NULL", 1)
	res, err := Plan(ctx, pgtest.DB(t, "", nil), planDir(t), []string{desired}, PlanOptions{Version: "20260301000000"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hints) != 1 || !strings.Contains(res.Hints[0], "--rename projects.title:headline") {
		t.Fatalf("hints = %v", res.Hints)
	}
	if len(res.Irreversible) != 1 || !strings.Contains(res.Files[0].Down, "irreversible") {
		t.Fatalf("without a rename the drop is irreversible: %v\n%s", res.Irreversible, res.Files[0].Down)
	}
	res, err = Plan(ctx, pgtest.DB(t, "", nil), planDir(t), []string{desired}, PlanOptions{Version: "20260301000000",
		Renames: map[string]string{"projects.title": "headline"}})
	if err != nil {
		t.Fatal(err)
	}
	up := res.Files[0].Up
	if !strings.Contains(up, `RENAME COLUMN "title" TO "headline"`) || strings.Contains(up, "DROP COLUMN") || len(res.Irreversible) != 0 {
		t.Fatalf("rename plan:\n%s", renderPlan(res))
	}
	if _, err := Plan(ctx, pgtest.DB(t, "", nil), planDir(t), []string{planBase}, PlanOptions{Version: "20260301000000"}); !errors.Is(err, ErrNoChange) {
		t.Fatalf("no change: err = %v", err)
	}
}

func TestWritePlanRehashes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for name, body := range map[string]string{"20260101000000_base.up.sql": planBase, "20260101000000_base.down.sql": "DROP TABLE projects, accounts, tenants;\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := LoadFS(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Plan(ctx, pgtest.DB(t, "", nil), d, []string{planBase + "CREATE INDEX projects_title_idx ON projects (title);\n"}, PlanOptions{Version: "20260301000000", Name: "idx"})
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePlan(mustLoad(t, dir), res); err != nil {
		t.Fatal(err)
	}
	d, err = LoadFS(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Review(ctx, pgtest.DB(t, "", nil), d, Options{Since: "20260101000000"})
	if err != nil {
		t.Fatal(err)
	}
	if fs := rep.Findings.ByCheck("checksum-mismatch"); len(fs) != 0 || len(rep.Findings.ByCheck("lock-risk")) != 0 {
		t.Fatalf("a written plan must hash cleanly and pass the lock review: %v", rep.Findings)
	}
}

// mustLoad loads the directory on disk at path (leniently, as the review reads it).
func mustLoad(t *testing.T, path string) *migrate.Dir {
	t.Helper()
	d, err := migrate.Inspect(os.DirFS(path), path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
