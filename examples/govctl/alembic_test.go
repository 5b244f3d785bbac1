package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/migrate/alembic"
)

var alembicSample = filepath.Join("..", "lsos-alembic")

func requireAlembicTool(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("alembic"); err != nil {
		t.Fatalf("Alembic is not installed (apt-get install -y alembic python3-psycopg2): %v", err)
	}
}

// TestMigrateAlembicCommands drives the Alembic contract of govctl: status (JSON heads,
// current, pending in apply order), import (a native directory that loads), test (the
// round trip) and lint (findings naming revision files).
func TestMigrateAlembicCommands(t *testing.T) {
	requireAlembicTool(t)
	ctx := context.Background()
	proj, err := alembic.Open(alembicSample)
	if err != nil {
		t.Fatal(err)
	}
	url := govtest.URL(t)

	status := func() alembicStatusJSON {
		t.Helper()
		code, out, errOut := migrateCLI(t, "--database-url", url, "--format", "json", "migrate", "status", "--alembic", alembicSample)
		if code != 0 {
			t.Fatalf("status: exit %d: %s", code, errOut)
		}
		var st alembicStatusJSON
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("status JSON %q: %v", out, err)
		}
		return st
	}
	st := status()
	order := proj.Graph().Order
	if len(st.Pending) != len(order) || st.Pending[0] != order[0].ID || len(st.Current) != 0 || len(st.Heads) != 1 {
		t.Fatalf("fresh database: %+v, want every revision pending in apply order", st)
	}
	if err := proj.Upgrade(ctx, url, "heads"); err != nil {
		t.Fatal(err)
	}
	if st = status(); len(st.Pending) != 0 || len(st.Current) != 1 || st.Current[0] != st.Heads[0] {
		t.Fatalf("after upgrade heads: %+v, want nothing pending and current = head", st)
	}

	out := filepath.Join(t.TempDir(), "native")
	if code, _, errOut := migrateCLI(t, "migrate", "import", "--alembic", alembicSample, "--dir", out); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	d, err := migrate.Load(out)
	if err != nil || len(d.Versions) != len(proj.Revisions) {
		t.Fatalf("imported directory: %v, %d versions for %d revisions", err, len(d.Versions), len(proj.Revisions))
	}

	if code, stdout, errOut := migrateCLI(t, "migrate", "test", "--alembic", alembicSample, "--dev-url", govtest.URL(t)); code != 0 || !strings.Contains(stdout, "round-tripped") {
		t.Fatalf("test: exit %d: %s %s", code, stdout, errOut)
	}

	code, stdout, errOut := migrateCLI(t, "--format", "json", "migrate", "lint", "--alembic", alembicSample, "--dev-url", govtest.URL(t), "--now", "2026-06-01T00:00:00Z")
	if code != 0 && code != 1 {
		t.Fatalf("lint: exit %d: %s", code, errOut)
	}
	var rep struct {
		Findings []struct {
			Check, File string
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("lint JSON: %v\n%s", err, stdout)
	}
	for _, f := range rep.Findings {
		if f.File != "" && !strings.HasSuffix(f.File, ".py") {
			t.Errorf("lint finding %s names %s, not a revision file", f.Check, f.File)
		}
	}

	if code, _, errOut := migrateCLI(t, "--database-url", url, "migrate", "status", "--alembic", "no/such/project"); code != 2 || !strings.Contains(errOut, "no/such/project") {
		t.Errorf("a missing project: exit %d (%s), want 2 naming it", code, errOut)
	}
}
