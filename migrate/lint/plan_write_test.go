package lint_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/migrate/lint"
)

func TestPlanAndWrite(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir()
	base := "CREATE TABLE tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\n"
	for name, body := range map[string]string{"20260101000000_base.up.sql": base, "20260101000000_base.down.sql": "DROP TABLE tenants;\n"} {
		if err := os.WriteFile(filepath.Join(path, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrate.Hash(path); err != nil {
		t.Fatal(err)
	}
	dir, err := migrate.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	desired := base + "CREATE INDEX tenants_name_idx ON tenants (name);\n"
	res, err := lint.Plan(ctx, pgtest.DB(t, "", nil), dir, []string{desired}, lint.PlanOptions{Version: "20260201000000", Name: "tenant_name"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || !res.Files[0].NoTransaction || !strings.Contains(res.Files[0].Up, "CREATE INDEX CONCURRENTLY") {
		t.Fatalf("plan: %+v", res.Files)
	}
	if err := lint.WritePlan(dir, res); err != nil {
		t.Fatal(err)
	}
	dir, err = migrate.Load(path)
	if err != nil {
		t.Fatalf("the written plan must load (and hash) cleanly: %v", err)
	}
	if len(dir.Versions) != 2 || !dir.Versions[1].NoTransaction {
		t.Fatalf("versions after write: %d", len(dir.Versions))
	}
}

// TestPlanHCLDesired plans from an Atlas HCL desired schema and gets the plan the
// equivalent SQL gives.
func TestPlanHCLDesired(t *testing.T) {
	ctx := context.Background()
	base := "CREATE TABLE tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\n"
	path := t.TempDir()
	for name, body := range map[string]string{"20260101000000_base.up.sql": base, "20260101000000_base.down.sql": "DROP TABLE tenants;\n"} {
		if err := os.WriteFile(filepath.Join(path, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrate.Hash(path); err != nil {
		t.Fatal(err)
	}
	dir, err := migrate.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	hcl := `schema "public" {}
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
  column "plan" {
    null    = false
    type    = text
    default = "standard"
  }
  primary_key {
    columns = [column.id]
  }
  index "tenants_name_idx" {
    columns = [column.name]
  }
}
`
	sql := base + "ALTER TABLE tenants ADD COLUMN plan text NOT NULL DEFAULT 'standard';\nCREATE INDEX tenants_name_idx ON tenants (name);\n"
	o := lint.PlanOptions{Version: "20260201000000", Name: "tenant_plan"}
	o.DesiredNames = []string{"schema.hcl"}
	fromHCL, err := lint.Plan(ctx, pgtest.DB(t, "", nil), dir, []string{hcl}, o)
	if err != nil {
		t.Fatal(err)
	}
	o.DesiredNames = []string{"schema.sql"}
	fromSQL, err := lint.Plan(ctx, pgtest.DB(t, "", nil), dir, []string{sql}, o)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromSQL, fromHCL); diff != "" {
		t.Fatalf("HCL and SQL plan differently (-sql +hcl):\n%s", diff)
	}
	if len(fromHCL.Files) != 2 || !strings.Contains(fromHCL.Files[0].Up, `ADD COLUMN "plan" text NOT NULL DEFAULT 'standard'`) ||
		!strings.Contains(fromHCL.Files[1].Up, `CREATE INDEX CONCURRENTLY "tenants_name_idx"`) {
		t.Fatalf("plan: %+v", fromHCL.Files)
	}
	o.DesiredNames = []string{"schema.hcl"}
	_, err = lint.Plan(ctx, pgtest.DB(t, "", nil), dir, []string{strings.Replace(hcl, "  primary_key {", "  primary_key {{", 1)}, o)
	var de *lint.DesiredError
	if !errors.Is(err, lint.ErrDesired) || !errors.As(err, &de) || de.File != "schema.hcl" || de.Line != 20 {
		t.Fatalf("a syntax error must name schema.hcl:20 (the primary_key line), got %v (%+v)", err, de)
	}
}
