package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/migrate"
)

// lintDir writes a small directory: a base version and an unsafe index on it.
// writeMigrationDir writes files into dir and hashes them into its atlas.sum.
func writeMigrationDir(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrate.Hash(dir); err != nil {
		t.Fatal(err)
	}
}

func lintDir(t *testing.T, second string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"20260101000000_base.up.sql":    "CREATE TABLE tenants (id bigint PRIMARY KEY);\nCREATE TABLE projects (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), title text NOT NULL, UNIQUE (tenant_id, id));\n",
		"20260101000000_base.down.sql":  "DROP TABLE projects, tenants;\n",
		"20260201000000_index.up.sql":   second,
		"20260201000000_index.down.sql": "DROP INDEX projects_title_idx;\n",
		"approvals.yaml":                "approvals:\n  \"20260101000000\": [backend-owner, platform-owner]\n  \"20260201000000\": [backend-owner, platform-owner]\n",
	}
	writeMigrationDir(t, dir, files)
	return dir
}

func lintEnv(format string) (*env, *bytes.Buffer) {
	var out bytes.Buffer
	return &env{policy: governance.Default(), format: format, stdout: &out, stderr: &bytes.Buffer{}}, &out
}

func TestMigrateLintJSONAndExit(t *testing.T) {
	ctx := context.Background()
	dir := lintDir(t, "CREATE INDEX projects_title_idx ON projects (title);\n")
	e, out := lintEnv("json")
	err := runMigrateLint(ctx, e, []string{"--dir", dir, "--dev-url", govtest.URL(t), "--now", "2026-06-01T00:00:00Z"})
	if !errors.Is(err, errFindings) {
		t.Fatalf("err = %v, want errFindings (exit 1) for a lock-risk error", err)
	}
	var doc struct {
		Findings []governance.Finding `json:"findings"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var lr []governance.Finding
	for _, f := range doc.Findings {
		if f.Check == governance.CheckLockRisk {
			lr = append(lr, f)
		}
	}
	if len(lr) != 1 || lr[0].File != "20260201000000_index.up.sql" || lr[0].Line != 1 {
		t.Fatalf("lock-risk findings = %+v", lr)
	}
	// --since the index version: nothing left to review, so no error.
	e, _ = lintEnv("text")
	if err := runMigrateLint(ctx, e, []string{"--dir", dir, "--dev-url", govtest.URL(t), "--since", "20260201000000"}); err != nil {
		t.Fatalf("--since the last version: %v", err)
	}
	if err := runMigrateLint(ctx, e, []string{"--dir", dir, "--since", "yesterday"}); !errors.As(err, new(usageError)) {
		t.Fatalf("bad --since must be a usage error, got %v", err)
	}
}

func TestMigrateLintEmbeddedServerMarkdown(t *testing.T) {
	ctx := context.Background()
	dir := lintDir(t, "-- lsos:no-transaction\nCREATE INDEX CONCURRENTLY projects_title_idx ON projects (title);\n")
	e, out := lintEnv("markdown")
	if err := runMigrateLint(ctx, e, []string{"--dir", dir}); err != nil {
		t.Fatalf("a safe directory lints clean on the embedded server: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "## Migration review") || !strings.Contains(out.String(), "| create | `projects_title_idx`") {
		t.Fatalf("markdown:\n%s", out.String())
	}
}

func TestMigratePlanWritesVersions(t *testing.T) {
	ctx := context.Background()
	dir := lintDir(t, "-- lsos:no-transaction\nCREATE INDEX CONCURRENTLY projects_title_idx ON projects (title);\n")
	desired := filepath.Join(t.TempDir(), "schema.sql")
	schema := "CREATE TABLE tenants (id bigint PRIMARY KEY);\nCREATE TABLE projects (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), title text NOT NULL, due_on date, UNIQUE (tenant_id, id));\nCREATE INDEX projects_title_idx ON projects (title);\n"
	if err := os.WriteFile(desired, []byte(schema), 0o644); err != nil {
		t.Fatal(err)
	}
	e, out := lintEnv("text")
	if err := runMigratePlan(ctx, e, []string{"--dir", dir, "--desired", desired, "--name", "due_on", "--now", "2026-03-01T00:00:00Z", "--dev-url", govtest.URL(t)}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `ADD COLUMN "due_on" date NULL`) {
		t.Fatalf("plan output:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "20260301000000_due_on.down.sql")); err != nil {
		t.Fatal(err)
	}
	// The written directory lints without checksum or rollback findings.
	e, out = lintEnv("json")
	err := runMigrateLint(ctx, e, []string{"--dir", dir, "--dev-url", govtest.URL(t), "--since", "20260201000000"})
	if err == nil || !errors.Is(err, errFindings) {
		// missing-approval for the new version is expected: nobody signed it yet.
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(out.String(), "checksum-mismatch") || strings.Contains(out.String(), "missing-rollback") {
		t.Fatalf("written plan:\n%s", out.String())
	}
	if !strings.Contains(out.String(), `"check": "missing-approval"`) {
		t.Fatalf("want missing-approval for the unsigned version:\n%s", out.String())
	}
}

func TestMigrateDriftFindsHotfix(t *testing.T) {
	ctx := context.Background()
	dir := lintDir(t, "-- lsos:no-transaction\nCREATE INDEX CONCURRENTLY projects_title_idx ON projects (title);\n")
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
	e, out := lintEnv("text")
	e.databaseURL = liveURL
	if err := runMigrateDrift(ctx, e, []string{"--dir", dir, "--dev-url", govtest.URL(t)}); err != nil {
		t.Fatalf("no drift expected: %v\n%s", err, out.String())
	}
	if _, err := live.Exec(ctx, "CREATE INDEX projects_hotfix ON projects (tenant_id, title)"); err != nil {
		t.Fatal(err)
	}
	e, out = lintEnv("json")
	e.databaseURL = liveURL
	if err := runMigrateDrift(ctx, e, []string{"--dir", dir, "--dev-url", govtest.URL(t)}); !errors.Is(err, errFindings) {
		t.Fatalf("drift must exit 1: %v", err)
	}
	if !strings.Contains(out.String(), `"object": "public.projects_hotfix"`) {
		t.Fatalf("drift output:\n%s", out.String())
	}
}
