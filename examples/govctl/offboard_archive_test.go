package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/govtest"
)

func TestTenantHardDeletePurgesArchives(t *testing.T) {
	url := govtest.URLFrom(t, "govctl-retention", retentionSetup)
	db := []string{"--database-url", url}
	conn := govtest.Conn(t, url)
	ctx := context.Background()
	count := func(sql string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	archives := "file://" + filepath.ToSlash(t.TempDir())
	exports := "file://" + filepath.ToSlash(t.TempDir())
	if code, out, errOut := retentionCLI(t, append(db, "archive", "run", "--table", "ranking_snapshots", "--store", archives, "--now", "2026-11-26T00:00:00Z")...); code != 0 {
		t.Fatalf("archive run: exit %d %s %s", code, out, errOut)
	}
	held := count(`SELECT count(*) FROM lsos_archive.archives WHERE '1' = ANY(tenants)`)
	if held == 0 {
		t.Fatal("no archive holds tenant 1; the test needs some")
	}
	for _, tenant := range []string{"1", "3"} {
		for _, stage := range [][]string{{"--stage", "soft-delete", "--now=2026-11-26T00:00:00Z"}, {"--stage", "export", "--store", exports, "--now=2026-12-27T00:00:00Z"}} {
			if code, out, errOut := retentionCLI(t, append(append(db, "tenant", "offboard", "--tenant", tenant, "--by", "ops"), stage...)...); code != 0 {
				t.Fatalf("%v: exit %d %s %s", stage, code, out, errOut)
			}
		}
	}
	hard := append(db, "tenant", "offboard", "--tenant", "1", "--stage", "hard-delete", "--now=2029-01-01T00:00:00Z", "--by", "ops")
	// Archives hold the tenant: without a decision nothing is deleted.
	code, _, errOut := retentionCLI(t, hard...)
	if code != 2 || !strings.Contains(errOut, "--archive-store") || !strings.Contains(errOut, "--skip-archive-purge") {
		t.Fatalf("hard delete without an archive decision: exit %d %q", code, errOut)
	}
	if n := count(`SELECT count(*) FROM tenants WHERE id = 1`); n != 1 {
		t.Fatal("the refused hard delete deleted the tenant")
	}
	if code, _, _ := retentionCLI(t, append(hard, "--archive-store", archives, "--skip-archive-purge", "x")...); code != 2 {
		t.Errorf("both flags: exit %d, want 2", code)
	}
	if code, _, _ := retentionCLI(t, append(hard, "--skip-archive-purge", "  ")...); code != 2 {
		t.Errorf("a blank reason: exit %d, want 2", code)
	}
	code, out, errOut := retentionCLI(t, append(hard, "--archive-store", archives)...)
	if code != 0 || !strings.Contains(out, "offboard:1") || !strings.Contains(out, "archive-purge:1") {
		t.Fatalf("hard delete with the archive purge: exit %d %s %s", code, out, errOut)
	}
	if n := count(`SELECT count(*) FROM lsos_archive.archives WHERE '1' = ANY(tenants)`); n != 0 {
		t.Errorf("%d archives still list tenant 1", n)
	}
	if n := count(`SELECT count(*) FROM lsos_retention.deletions WHERE operation = 'archive-purge:1' AND finished_at IS NOT NULL AND rows_deleted > 0`); n != held {
		t.Errorf("%d finished purge records, want %d", n, held)
	}
	// The archives verify after the purge.
	ids, err := conn.Query(ctx, `SELECT id FROM lsos_archive.archives`)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for ids.Next() {
		var id string
		_ = ids.Scan(&id)
		all = append(all, id)
	}
	ids.Close()
	for _, id := range all {
		if code, out, errOut := retentionCLI(t, append(db, "archive", "verify", "--id", id, "--store", archives)...); code != 0 {
			t.Errorf("verify %s: exit %d %s %s", id, code, out, errOut)
		}
	}
	// Running the stage again resumes nothing and purges nothing.
	code, out, _ = retentionCLI(t, append(db, "--format", "json", "tenant", "offboard", "--tenant", "1", "--stage", "hard-delete", "--now=2029-01-01T00:00:00Z", "--archive-store", archives)...)
	if code != 0 || !strings.Contains(out, `"archive_purge"`) || !strings.Contains(out, `"archives": []`) || !strings.Contains(out, `"operation": "offboard:1"`) {
		t.Errorf("second run: exit %d %s", code, out)
	}
	// Skipping says why, in the audit record, and leaves the archives as they are.
	code, out, errOut = retentionCLI(t, append(db, "tenant", "offboard", "--tenant", "3", "--stage", "hard-delete", "--now=2029-01-01T00:00:00Z", "--by", "ops",
		"--skip-archive-purge", "regulator preservation order 2026-17")...)
	if code != 0 || !strings.Contains(out, "archive purge skipped (recorded): regulator preservation order") {
		t.Fatalf("skip: exit %d %s %s", code, out, errOut)
	}
	if n := count(`SELECT count(*) FROM lsos_retention.deletions WHERE operation = 'archive-purge:3' AND kind = 'archive-purge-skipped' AND note LIKE 'regulator%' AND actor = 'ops'`); n != 1 {
		t.Errorf("skip record: %d", n)
	}
	if n := count(`SELECT count(*) FROM lsos_archive.archives WHERE '3' = ANY(tenants)`); n == 0 {
		t.Error("skipping the purge changed the archives")
	}
}
