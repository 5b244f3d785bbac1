package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/migrate"
)

// With --database-url the deprecation window runs from when the deprecating version was
// applied on that target.
func TestMigrateLintDeprecationFromTarget(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	files := map[string]string{
		"20260101000000_base.up.sql":        "CREATE TABLE tenants (id bigint PRIMARY KEY);\nCREATE TABLE projects (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), legacy_code text, UNIQUE (tenant_id, id));\n",
		"20260101000000_base.down.sql":      "DROP TABLE projects, tenants;\n",
		"20260201000000_deprecate.up.sql":   "-- lsos:deprecates projects.legacy_code\n-- lsos:breaking flag=drop_legacy phase=expand\nCOMMENT ON COLUMN projects.legacy_code IS 'deprecated';\n",
		"20260201000000_deprecate.down.sql": "COMMENT ON COLUMN projects.legacy_code IS NULL;\n",
		"20260301000000_drop.up.sql":        "-- lsos:breaking flag=drop_legacy phase=contract\nALTER TABLE projects DROP COLUMN legacy_code;\n",
		"20260301000000_drop.down.sql":      "ALTER TABLE projects ADD COLUMN legacy_code text;\n",
		"approvals.yaml":                    "approvals:\n  \"20260301000000\": [backend-owner, platform-owner]\n",
	}
	writeMigrationDir(t, dir, files)
	md, err := migrate.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	targetURL := govtest.URL(t)
	target := govtest.Conn(t, targetURL)
	m, err := migrate.NewMigrator(target, md, migrate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.UpTo(ctx, "20260201000000"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	lint := func(ago time.Duration) (string, error) {
		t.Helper()
		// The revisions table records the server's now(); move the deployment into the past.
		if _, err := target.Exec(ctx, "UPDATE lsos_migrate.revisions SET applied_at = $1", now.Add(-ago)); err != nil {
			t.Fatal(err)
		}
		e, out := lintEnv("json")
		e.databaseURL = targetURL
		err := runMigrateLint(ctx, e, []string{"--dir", dir, "--dev-url", govtest.URL(t), "--now", now.Format(time.RFC3339)})
		return out.String(), err
	}
	out, err := lint(10 * 24 * time.Hour)
	if !errors.Is(err, errFindings) {
		t.Fatalf("applied 10 days ago, 30-day window: err = %v, want exit 1\n%s", err, out)
	}
	var doc struct {
		Findings []governance.Finding `json:"findings"`
		Reviewed []string             `json:"reviewed"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var dc []governance.Finding
	for _, f := range doc.Findings {
		if f.Check == governance.CheckDestructiveChange {
			dc = append(dc, f)
		}
	}
	if len(dc) != 1 || !strings.Contains(dc[0].Message, "applied on the target on 2026-05-22T00:00:00Z") || dc[0].File != "20260301000000_drop.up.sql" {
		t.Fatalf("destructive-change = %+v", dc)
	}
	if len(doc.Reviewed) != 1 {
		t.Errorf("reviewed %v, want only the version pending on the target", doc.Reviewed)
	}
	if out, err := lint(40 * 24 * time.Hour); err != nil {
		t.Fatalf("applied 40 days ago: err = %v, want exit 0\n%s", err, out)
	}
	// An unknown revisions schema: nothing applied there, so the drop is not allowed yet.
	e, outBuf := lintEnv("text")
	e.databaseURL = targetURL
	err = runMigrateLint(ctx, e, []string{"--dir", dir, "--dev-url", govtest.URL(t), "--now", now.Format(time.RFC3339), "--since", "20260201000000", "--revisions-schema", "elsewhere"})
	if !errors.Is(err, errFindings) || !strings.Contains(outBuf.String(), "not applied on the target yet") {
		t.Fatalf("--revisions-schema elsewhere: err = %v\n%s", err, outBuf.String())
	}
}
