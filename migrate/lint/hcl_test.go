package lint

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/migrate"
)

// lsosAddSQL is what testdata/hcl_lsos_desired.hcl adds to the sample LSOS schema, as SQL.
const lsosAddSQL = `ALTER TABLE locations ADD COLUMN verified boolean NOT NULL DEFAULT false;
CREATE INDEX locations_tenant_name_idx ON locations (tenant_id, name);
`

// TestPlanHCLMatchesSQL plans the sample LSOS directory against the same desired schema
// written once as SQL and once as Atlas HCL: the planned files must be identical.
func TestPlanHCLMatchesSQL(t *testing.T) {
	ctx := context.Background()
	d, err := LoadFS(lsosMigrations())
	if err != nil {
		t.Fatal(err)
	}
	var sqlDesired strings.Builder
	for _, v := range d.Versions {
		sqlDesired.WriteString(string(v.Up.Bytes) + "\n")
	}
	sqlDesired.WriteString(lsosAddSQL)
	hclDesired, err := os.ReadFile(filepath.Join("testdata", "hcl_lsos_desired.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	o := PlanOptions{Name: "verified_locations", Version: "20260301000000"}
	o.DesiredNames = []string{"lsos.sql"}
	fromSQL, err := Plan(ctx, pgtest.DB(t, "", nil), d, []string{sqlDesired.String()}, o)
	if err != nil {
		t.Fatalf("SQL desired schema: %v", err)
	}
	o.DesiredNames = []string{"lsos.hcl"}
	fromHCL, err := Plan(ctx, pgtest.DB(t, "", nil), d, []string{string(hclDesired)}, o)
	if err != nil {
		t.Fatalf("HCL desired schema: %v", err)
	}
	if diff := cmp.Diff(fromSQL, fromHCL); diff != "" {
		t.Fatalf("HCL and SQL desired schemas plan differently (-sql +hcl):\n%s", diff)
	}
	got := renderPlan(fromHCL)
	golden := filepath.Join("testdata", "plan_hcl_lsos.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestPlanHCLMatchesSQL -update)", err)
	}
	if got != string(want) {
		t.Errorf("plan differs from %s:\n--- got\n%s\n--- want\n%s", golden, got, want)
	}
	// The whole change, and nothing else: the column in a transactional version, the
	// index CONCURRENTLY in a no-transaction one.
	if len(fromHCL.Files) != 2 || !strings.Contains(fromHCL.Files[0].Up, `ADD COLUMN "verified" boolean NOT NULL DEFAULT false`) ||
		!fromHCL.Files[1].NoTransaction || !strings.Contains(fromHCL.Files[1].Up, `CREATE INDEX CONCURRENTLY "locations_tenant_name_idx"`) {
		t.Fatalf("unexpected plan:\n%s", got)
	}
	applyPlan(t, d, fromHCL)

	// The unchanged sample as HCL (the added column and index removed) plans nothing.
	same := strings.NewReplacer(`  # Added by the desired schema: not in any migration yet.
  column "verified" {
    null    = false
    type    = boolean
    default = false
  }
`, "", `  # Added by the desired schema: not in any migration yet.
  index "locations_tenant_name_idx" {
    columns = [column.tenant_id, column.name]
  }
`, "").Replace(string(hclDesired))
	if same == string(hclDesired) {
		t.Fatal("test setup: the additions were not removed from the HCL")
	}
	if _, err := Plan(ctx, pgtest.DB(t, "", nil), d, []string{same}, o); !errors.Is(err, ErrNoChange) {
		t.Fatalf("the sample as HCL must plan no change, got %v", err)
	}
}

// TestPlanHCLSplitAcrossFiles evaluates several HCL files together, as Atlas does.
func TestPlanHCLSplitAcrossFiles(t *testing.T) {
	schemaFile := `schema "public" {}
table "tenants" {
  schema = schema.public
  column "id" {
    null = false
    type = bigint
    identity {
      generated = ALWAYS
    }
  }
  column "name" {
    null = false
    type = text
  }
  primary_key {
    columns = [column.id]
  }
}
`
	notes := `table "notes" {
  schema = schema.public
  column "tenant_id" {
    null = false
    type = bigint
  }
  column "body" {
    null = true
    type = text
  }
  foreign_key "notes_tenant_fk" {
    columns     = [column.tenant_id]
    ref_columns = [table.tenants.column.id]
  }
}
`
	fsys := map[string]string{
		"20260101000000_base.up.sql":   "CREATE TABLE tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\n",
		"20260101000000_base.down.sql": "DROP TABLE tenants;\n",
	}
	d := mapDir(t, fsys)
	res, err := Plan(context.Background(), pgtest.DB(t, "", nil), d, []string{schemaFile, notes},
		PlanOptions{Version: "20260301000000", DesiredNames: []string{"schema.hcl", "notes.hcl"}})
	if err != nil {
		t.Fatal(err)
	}
	up := res.Files[0].Up
	if !strings.Contains(up, `CREATE TABLE "public"."notes"`) || !strings.Contains(up, `CONSTRAINT "notes_tenant_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants" ("id")`) {
		t.Fatalf("plan of two HCL files:\n%s", renderPlan(res))
	}
	applyPlan(t, d, res)
}

func TestPlanDesiredErrors(t *testing.T) {
	ctx := context.Background()
	good := `schema "public" {}
table "tenants" {
  schema = schema.public
  column "id" {
    type = bigint
  }
}
`
	cases := []struct {
		name    string
		names   []string
		srcs    []string
		at      string // file[:line] the error must name
		mention []string
	}{
		{"hcl syntax error", []string{"broken.hcl"}, []string{"schema \"public\" {}\ntable \"tenants\" {\n  schema = schema.public\n  column \"id\" {\n    type = \n  }\n}\n"},
			"broken.hcl:5", nil},
		{"hcl unclosed block", []string{"a.hcl", "unclosed.hcl"}, []string{good, "table \"x\" {\n  schema = schema.public\n"},
			"unclosed.hcl:1", nil},
		{"hcl unknown type", []string{"types.hcl"}, []string{strings.Replace(good, "bigint", "bigintt", 1)},
			"types.hcl", []string{"bigintt"}},
		{"hcl other schema", []string{"app.hcl"}, []string{strings.ReplaceAll(strings.ReplaceAll(good, `"public"`, `"app"`), "schema.public", "schema.app")},
			"app.hcl", []string{`declares schema app`, `"public"`}},
		{"mixed kinds", []string{"base.sql", "more.hcl"}, []string{"CREATE TABLE x (id int);", good},
			"more.hcl", []string{"base.sql", "more.hcl", "mixes SQL"}},
		{"sql syntax error", []string{"schema.sql"}, []string{"CREATE TABLE tenants (id bigint);\n\nCREATE TABLE oops (id bigint,);\n"},
			"schema.sql:3", nil},
		{"sql does not load", []string{"schema.sql"}, []string{"CREATE TABLE tenants (id bigint);\nCREATE INDEX ON missing (id);\n"},
			"schema.sql:2", []string{"missing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Plan(ctx, pgtest.DB(t, "", nil), planDir(t), c.srcs, PlanOptions{Version: "20260301000000", DesiredNames: c.names})
			if !errors.Is(err, ErrDesired) {
				t.Fatalf("want ErrDesired, got %v", err)
			}
			var de *DesiredError
			if !errors.As(err, &de) {
				t.Fatalf("want a *DesiredError, got %T", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "desired schema "+c.at) {
				t.Errorf("error must name %s: %s", c.at, msg)
			}
			for _, m := range c.mention {
				if !strings.Contains(msg, m) {
					t.Errorf("error must mention %q: %s", m, msg)
				}
			}
		})
	}
	if _, err := Plan(ctx, pgtest.DB(t, "", nil), planDir(t), []string{good}, PlanOptions{Version: "20260301000000", DesiredNames: []string{"a.hcl", "b.hcl"}}); err == nil || !strings.Contains(err.Error(), "DesiredNames") {
		t.Errorf("a name count that does not match the sources must be refused: %v", err)
	}
}

// mapDir loads a directory from file name → content.
func mapDir(t *testing.T, files map[string]string) *migrate.Dir {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	d, err := LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
