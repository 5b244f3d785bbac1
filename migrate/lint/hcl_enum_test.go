package lint

import (
	"context"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// TestPlanHCLEnum: an enum type declared in HCL plans as the same enum in SQL does.
func TestPlanHCLEnum(t *testing.T) {
	hcl := `schema "public" {}
enum "status" {
  schema = schema.public
  values = ["new", "done"]
}
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
  column "state" {
    null = true
    type = enum.status
  }
  primary_key {
    columns = [column.id]
  }
}
`
	d := mapDir(t, map[string]string{
		"20260101000000_base.up.sql":   "CREATE TABLE tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);\n",
		"20260101000000_base.down.sql": "DROP TABLE tenants;\n",
	})
	res, err := Plan(context.Background(), pgtest.DB(t, "", nil), d, []string{hcl}, PlanOptions{Version: "20260301000000", DesiredNames: []string{"s.hcl"}})
	if err != nil {
		t.Fatal(err)
	}
	sql := "CREATE TYPE status AS ENUM ('new','done'); CREATE TABLE tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, state status);"
	res2, err := Plan(context.Background(), pgtest.DB(t, "", nil), d, []string{sql}, PlanOptions{Version: "20260301000000"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := renderPlan(res), renderPlan(res2); got != want {
		t.Fatalf("HCL plan:\n%s\nSQL plan:\n%s", got, want)
	}
	if !strings.Contains(res.Files[0].Up, `CREATE TYPE "public"."status" AS ENUM ('new', 'done')`) {
		t.Fatalf("the enum must be created in public:\n%s", res.Files[0].Up)
	}
	applyPlan(t, d, res)
}
