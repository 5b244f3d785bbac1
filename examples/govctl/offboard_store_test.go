package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/govtest"
)

// offboardPrepare archives ranking_snapshots and takes tenants 1 and 3 through soft delete
// and export; it returns the database args, a connection-backed counter and the archive dir.
func offboardPrepare(t *testing.T) ([]string, func(string, ...any) int64, string) {
	t.Helper()
	url := govtest.URLFrom(t, "govctl-retention", retentionSetup)
	db := []string{"--database-url", url}
	conn := govtest.Conn(t, url)
	count := func(sql string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	dir := t.TempDir()
	archives := "file://" + filepath.ToSlash(dir)
	exports := "file://" + filepath.ToSlash(t.TempDir())
	if code, out, errOut := retentionCLI(t, append(db, "archive", "run", "--table", "ranking_snapshots", "--store", archives, "--now", "2026-11-26T00:00:00Z")...); code != 0 {
		t.Fatalf("archive run: exit %d %s %s", code, out, errOut)
	}
	if count(`SELECT count(*) FROM lsos_archive.archives WHERE '1' = ANY(tenants)`) == 0 {
		t.Fatal("no archive holds tenant 1")
	}
	for _, stage := range [][]string{{"--stage", "soft-delete", "--now=2026-11-26T00:00:00Z"}, {"--stage", "export", "--store", exports, "--now=2026-12-27T00:00:00Z"}} {
		if code, out, errOut := retentionCLI(t, append(append(db, "tenant", "offboard", "--tenant", "1", "--by", "ops"), stage...)...); code != 0 {
			t.Fatalf("%v: exit %d %s %s", stage, code, out, errOut)
		}
	}
	return db, count, dir
}

// A bad --archive-store (an unknown scheme, or a store that does not hold the tenant's
// archives) is refused, exit 2, before the hard delete deletes anything.
func TestHardDeleteBadArchiveStoreRefusedBeforeDelete(t *testing.T) {
	db, count, _ := offboardPrepare(t)
	code, out, errOut := retentionCLI(t, append(db, "tenant", "offboard", "--tenant", "1", "--stage", "hard-delete",
		"--now=2029-01-01T00:00:00Z", "--by", "ops", "--archive-store", "nosuchscheme://bucket")...)
	if n := count(`SELECT count(*) FROM tenants WHERE id = 1`); n != 1 || code != 2 {
		t.Errorf("an unusable --archive-store: exit %d (want 2), tenant rows left %d (want 1); stdout %q, stderr %q", code, n, out, errOut)
	}
	// A store that opens but is not the one archive run wrote to.
	empty := "file://" + filepath.ToSlash(t.TempDir())
	code, out, errOut = retentionCLI(t, append(db, "tenant", "offboard", "--tenant", "1", "--stage", "hard-delete",
		"--now=2029-01-01T00:00:00Z", "--by", "ops", "--archive-store", empty)...)
	if n := count(`SELECT count(*) FROM tenants WHERE id = 1`); n != 1 || code != 2 || !strings.Contains(errOut, "does not hold the tenant's archives") {
		t.Errorf("the wrong store: exit %d (want 2), tenant rows left %d (want 1); stdout %q, stderr %q", code, n, out, errOut)
	}
}
