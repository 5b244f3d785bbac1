package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/govtest"
)

// TestSDKPrefixCLI runs govctl with a policy file setting sdk.prefix ops_: retention
// install, holds, archive run/list/verify/restore, the hard delete's archive preflight
// and purge, integrity check --save and tenant active-views all use ops_retention,
// ops_archive, ops_integrity and ops_active, and no lsos_* schema is created.
func TestSDKPrefixCLI(t *testing.T) {
	url := govtest.URLFrom(t, "govctl-retention", retentionSetup)
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("sdk:\n  prefix: ops_\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := []string{"--database-url", url, "--policy", policy}
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
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		return retentionCLI(t, append(append([]string{}, db...), args...)...)
	}

	if code, out, errOut := cli("retention", "install"); code != 0 || !strings.Contains(out, "schema ops_retention is installed") {
		t.Fatalf("retention install: exit %d %q %q", code, out, errOut)
	}
	code, out, errOut := cli("--format", "json", "retention", "holds", "add", "--tenant", "4", "--reason", "litigation", "--by", "legal", "--from", "2026-11-01T00:00:00Z")
	var h struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &h); code != 0 || err != nil || h.ID == 0 {
		t.Fatalf("holds add: exit %d %q %q", code, out, errOut)
	}
	if n := count(`SELECT count(*) FROM ops_retention.legal_holds WHERE tenant_id = '4'`); n != 1 {
		t.Fatalf("ops_retention.legal_holds holds %d holds of tenant 4", n)
	}
	if code, out, _ := cli("retention", "holds", "list"); code != 0 || !strings.Contains(out, "tenant 4") {
		t.Fatalf("holds list: exit %d %q", code, out)
	}
	if code, out, errOut := cli("retention", "holds", "release", fmt.Sprint(h.ID), "--by", "legal", "--now", "2026-11-20T00:00:00Z"); code != 0 {
		t.Fatalf("holds release: exit %d %q %q", code, out, errOut)
	}

	archives := "file://" + filepath.ToSlash(t.TempDir())
	if code, out, errOut := cli("archive", "run", "--table", "ranking_snapshots", "--store", archives, "--now", "2026-11-26T00:00:00Z"); code != 0 {
		t.Fatalf("archive run: exit %d %s %s", code, out, errOut)
	}
	held := count(`SELECT count(*) FROM ops_archive.archives WHERE '1' = ANY(tenants) AND state = 'dropped'`)
	if held == 0 {
		t.Fatal("ops_archive.archives lists no archive of tenant 1")
	}
	code, out, _ = cli("--format", "json", "archive", "list")
	var list struct {
		Archives []struct {
			ID string `json:"id"`
		} `json:"archives"`
	}
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || int64(len(list.Archives)) != count(`SELECT count(*) FROM ops_archive.archives`) {
		t.Fatalf("archive list: exit %d %v %s", code, err, out)
	}
	id := list.Archives[0].ID
	if code, out, errOut := cli("archive", "verify", "--id", id, "--store", archives); code != 0 {
		t.Fatalf("archive verify: exit %d %s %s", code, out, errOut)
	}
	if code, out, errOut := cli("archive", "restore", "--id", id, "--into", "restored_one", "--store", archives); code != 0 {
		t.Fatalf("archive restore: exit %d %s %s", code, out, errOut)
	}
	if n := count(`SELECT count(*) FROM restored_one`); n == 0 {
		t.Fatal("the restored table is empty")
	}

	// The hard delete's preflight reads ops_archive: archives hold tenant 1, so a
	// decision is required; with the store, the purge records land in ops_retention.
	exports := "file://" + filepath.ToSlash(t.TempDir())
	for _, stage := range [][]string{{"--stage", "soft-delete", "--now=2026-11-26T00:00:00Z"}, {"--stage", "export", "--store", exports, "--now=2026-12-27T00:00:00Z"}} {
		if code, out, errOut := cli(append([]string{"tenant", "offboard", "--tenant", "1", "--by", "ops"}, stage...)...); code != 0 {
			t.Fatalf("%v: exit %d %s %s", stage, code, out, errOut)
		}
	}
	hard := []string{"tenant", "offboard", "--tenant", "1", "--stage", "hard-delete", "--now=2029-01-01T00:00:00Z", "--by", "ops"}
	if code, _, errOut := cli(hard...); code != 2 || !strings.Contains(errOut, "--archive-store") {
		t.Fatalf("hard delete without an archive decision under ops_: exit %d %q", code, errOut)
	}
	if code, out, errOut := cli(append(hard, "--archive-store", archives)...); code != 0 || !strings.Contains(out, "archive-purge:1") {
		t.Fatalf("hard delete with the archive purge: exit %d %s %s", code, out, errOut)
	}
	if n := count(`SELECT count(*) FROM ops_retention.deletions WHERE operation = 'archive-purge:1' AND finished_at IS NOT NULL`); n != held {
		t.Errorf("%d finished purge records in ops_retention.deletions, want %d", n, held)
	}
	if n := count(`SELECT count(*) FROM ops_retention.offboarding WHERE tenant_id = '1' AND state = 'purged'`); n != 1 {
		t.Error("the offboarding state is not in ops_retention.offboarding")
	}

	if code, _, errOut := cli("integrity", "check", "--checks", "invalid-index", "--save"); code != 0 || !strings.Contains(errOut, "saved integrity run") {
		t.Fatalf("integrity check --save: exit %d %q", code, errOut)
	}
	if n := count(`SELECT count(*) FROM ops_integrity.lsos_integrity_runs`); n != 1 {
		t.Fatalf("ops_integrity.lsos_integrity_runs holds %d runs", n)
	}
	if code, out, errOut := cli("tenant", "active-views"); code != 0 || !strings.Contains(out, "ops_active.reviews") {
		t.Fatalf("tenant active-views: exit %d %s %s", code, out, errOut)
	}
	if n := count(`SELECT count(*) FROM pg_namespace WHERE starts_with(nspname, 'lsos_')`); n != 0 {
		t.Fatalf("govctl under sdk.prefix ops_ created %d lsos_* schema(s)", n)
	}
}
