package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/migrate"
)

// desiredHCL is lintDir's schema as Atlas HCL, plus projects.due_on.
const desiredHCL = `schema "public" {}
table "tenants" {
  schema = schema.public
  column "id" {
    null = false
    type = bigint
  }
  primary_key {
    columns = [column.id]
  }
}
table "projects" {
  schema = schema.public
  column "id" {
    null = false
    type = bigint
  }
  column "tenant_id" {
    null = false
    type = bigint
  }
  column "title" {
    null = false
    type = text
  }
  column "due_on" {
    null = true
    type = date
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "projects_tenant_id_fkey" {
    columns     = [column.tenant_id]
    ref_columns = [table.tenants.column.id]
  }
  index "projects_title_idx" {
    columns = [column.title]
  }
  unique "projects_tenant_id_id_key" {
    columns = [column.tenant_id, column.id]
  }
}
`

func TestMigratePlanFromHCL(t *testing.T) {
	ctx := context.Background()
	dir := lintDir(t, "-- lsos:no-transaction\nCREATE INDEX CONCURRENTLY projects_title_idx ON projects (title);\n")
	desired := filepath.Join(t.TempDir(), "schema.hcl")
	if err := os.WriteFile(desired, []byte(desiredHCL), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"migrate", "plan", "--dir", dir, "--desired", desired, "--name", "due_on", "--now", "2026-03-01T00:00:00Z", "--dev-url", govtest.URL(t)}, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	up, err := os.ReadFile(filepath.Join(dir, "20260301000000_due_on.up.sql"))
	if err != nil {
		t.Fatal(err)
	}
	// Only the new column: everything else in the HCL is what the directory builds.
	if !strings.Contains(string(up), `ALTER TABLE "public"."projects" ADD COLUMN "due_on" date NULL;`) || strings.Count(string(up), ";") != 1 {
		t.Fatalf("planned from HCL:\n%s", up)
	}

	// A broken HCL file is bad input (exit 2) and the message names file and line.
	broken := filepath.Join(t.TempDir(), "broken.hcl")
	if err := os.WriteFile(broken, []byte(strings.Replace(desiredHCL, "    type = date\n", "    type = \n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	code = run(ctx, []string{"migrate", "plan", "--dir", dir, "--desired", broken, "--now", "2026-04-01T00:00:00Z", "--dev-url", govtest.URL(t), "--dry-run"}, &out, &errOut)
	if code != exitUsage || !strings.Contains(errOut.String(), broken+":28") {
		t.Fatalf("exit %d, stderr: %s", code, errOut.String())
	}
}

func TestMigrateDriftIgnorePartitions(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join("..", "lsos", "migrations")
	md, err := migrate.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	liveURL := govtest.URL(t)
	live := govtest.Conn(t, liveURL)
	m, err := migrate.NewMigrator(live, md, migrate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lsos.EnsurePartitions(ctx, live, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	e, out := lintEnv("text")
	e.databaseURL = liveURL
	if err := runMigrateDrift(ctx, e, []string{"--dir", dir, "--dev-url", govtest.URL(t)}); !errors.Is(err, errFindings) || !strings.Contains(out.String(), "extra partition public.ranking_snapshots_2026_01") {
		t.Fatalf("partitions made at run time are drift without the flag: %v\n%s", err, out.String())
	}
	e, out = lintEnv("text")
	e.databaseURL = liveURL
	if err := runMigrateDrift(ctx, e, []string{"--dir", dir, "--dev-url", govtest.URL(t), "--ignore-partitions"}); err != nil || strings.TrimSpace(out.String()) != "no drift" {
		t.Fatalf("--ignore-partitions: %v\n%s", err, out.String())
	}
}
