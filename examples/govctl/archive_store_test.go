package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/internal/s3test"
)

// TestArchiveStoreFailures: a store that refuses the key stops "archive run" with one
// line on stderr (naming the store without its query) and exit 1, the partitions
// attached; "archive verify" says NOT CHECKED when it cannot read the store and CORRUPT
// when the object is damaged, both exit 1. The store is a real S3 server (SeaweedFS,
// internal/s3test) given an access key it does not know.
func TestArchiveStoreFailures(t *testing.T) {
	ctx := context.Background()
	url := govtest.URLFrom(t, "govctl-archive", archiveSetup)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s3 := s3test.Bucket(t) // first: the kit sets its own key, which these replace
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTESTKEY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret-but-never-printed")
	label := s3[:strings.Index(s3, "?")]
	now := "2026-11-26T12:00:00Z"

	code, out, errOut := archiveCLI(t, "--database-url", url, "archive", "run", "--table", "ranking_snapshots", "--store", s3, "--now", now)
	line := strings.TrimSpace(errOut)
	if code != 1 || strings.Count(line, "\n") != 0 || !strings.Contains(line, label) || !strings.Contains(line, "InvalidAccessKeyId") || !strings.Contains(line, "permanent") ||
		strings.Contains(line, "endpoint=") || strings.Contains(line, "never-printed") || strings.Count(line, "InvalidAccessKeyId") > 1 {
		t.Fatalf("run on a store refusing the key: exit %d\nstdout:\n%s\nstderr: %q", code, out, errOut)
	}
	t.Logf("stderr: %s", line)
	if !strings.Contains(out, "not archived: the store failed") || !strings.Contains(out, "archived 0 partition(s)") {
		t.Errorf("run table:\n%s", out)
	}
	var pending, attached int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM lsos_archive.archives), (SELECT count(*) FROM pg_inherits WHERE inhparent = 'ranking_snapshots'::regclass)`).Scan(&pending, &attached); err != nil {
		t.Fatal(err)
	}
	if pending != 0 || attached < 11 {
		t.Fatalf("%d catalog entries, %d partitions attached after a refused run", pending, attached)
	}
	code, _, errOut = archiveCLI(t, "--database-url", url, "archive", "run", "--table", "ranking_snapshots", "--store", s3, "--request-timeout", "-1s")
	if code != 2 {
		t.Errorf("negative --request-timeout: exit %d %s", code, errOut)
	}

	dir := t.TempDir()
	store := "file://" + dir
	if code, out, errOut := archiveCLI(t, "--database-url", url, "archive", "run", "--table", "ranking_snapshots", "--store", store, "--now", now); code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = archiveCLI(t, "--database-url", url, "archive", "list")
	var list struct {
		Archives []struct{ ID, Object string } `json:"archives"`
	}
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list.Archives) == 0 {
		t.Fatalf("list: exit %d %v %s", code, err, errOut)
	}
	id, obj := list.Archives[0].ID, list.Archives[0].Object
	code, _, errOut = archiveCLI(t, "--database-url", url, "archive", "verify", "--id", id, "--store", s3)
	if line := strings.TrimSpace(errOut); code != 1 || !strings.Contains(line, "NOT CHECKED") || strings.Contains(line, "CORRUPT") ||
		strings.Contains(line, "endpoint=") || strings.Count(line, "\n") != 0 {
		t.Errorf("verify on an unreadable store: exit %d, stderr %q", code, errOut)
	}
	path := filepath.Join(dir, filepath.FromSlash(obj))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = archiveCLI(t, "--database-url", url, "archive", "verify", "--id", id, "--store", store)
	if code != 1 || !strings.Contains(errOut, "CORRUPT") || strings.Contains(errOut, "NOT CHECKED") {
		t.Errorf("verify of a truncated object: exit %d, stderr %q", code, errOut)
	}
}
