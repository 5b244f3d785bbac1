package migrate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/internal/pgtest"
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
	if err := Hash(path); err != nil {
		t.Fatal(err)
	}
	dir, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	desired := base + "CREATE INDEX tenants_name_idx ON tenants (name);\n"
	res, err := Plan(ctx, pgtest.DB(t, "", nil), dir, []string{desired}, PlanOptions{Version: "20260201000000", Name: "tenant_name"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || !res.Files[0].NoTransaction || !strings.Contains(res.Files[0].Up, "CREATE INDEX CONCURRENTLY") {
		t.Fatalf("plan: %+v", res.Files)
	}
	if err := WritePlan(dir, res); err != nil {
		t.Fatal(err)
	}
	dir, err = Load(path)
	if err != nil {
		t.Fatalf("the written plan must load (and hash) cleanly: %v", err)
	}
	if len(dir.Versions) != 2 || !dir.Versions[1].NoTransaction {
		t.Fatalf("versions after write: %d", len(dir.Versions))
	}
}
