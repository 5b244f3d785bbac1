package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/govtest"
)

func migrateCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// copySample copies the sample migrations into a temp dir.
func copySample(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	fsys := lsos.Migrations()
	ents, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range ents {
		n := ent.Name()
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestMigrateCLI(t *testing.T) {
	url := govtest.URL(t)
	dir := copySample(t)

	code, out, errOut := migrateCLI(t, "--database-url", url, "--format", "json", "migrate", "status", "--dir", dir)
	if code != 0 {
		t.Fatalf("status: %d %s", code, errOut)
	}
	var st struct {
		Versions []map[string]string `json:"versions"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status json: %v\n%s", err, out)
	}
	if len(st.Versions) != 6 || st.Versions[0]["state"] != "pending" || st.Versions[0]["version"] != "20260101000000" || st.Versions[0]["name"] != "tenants_users" {
		t.Fatalf("status before up: %s", out)
	}

	if code, out, errOut = migrateCLI(t, "--database-url", url, "migrate", "up", "--dir", dir); code != 0 || !strings.Contains(out, "20260106000000_reviews_published_index") {
		t.Fatalf("up: %d %s %s", code, out, errOut)
	}
	code, out, _ = migrateCLI(t, "--database-url", url, "--format", "json", "migrate", "status", "--dir", dir)
	st.Versions = nil
	json.Unmarshal([]byte(out), &st)
	for _, v := range st.Versions {
		if v["state"] != "applied" || v["applied_at"] == "" {
			t.Errorf("after up: %v", v)
		}
	}
	if code, out, errOut = migrateCLI(t, "--database-url", url, "migrate", "verify", "--dir", dir); code != 0 {
		t.Fatalf("verify: %d %s %s", code, out, errOut)
	}
	if code, out, errOut = migrateCLI(t, "--database-url", url, "migrate", "down", "--dir", dir, "--to", "20260104000000"); code != 0 || strings.Count(out, "down") != 2 {
		t.Fatalf("down: %d %s %s", code, out, errOut)
	}
	if code, _, errOut = migrateCLI(t, "--database-url", url, "migrate", "down", "--dir", dir); code != 2 || !strings.Contains(errOut, "--to") {
		t.Errorf("down without --to: %d %s", code, errOut)
	}

	// A hand edit is refused until hashed; then the history check refuses it.
	f := filepath.Join(dir, "20260101000000_tenants_users.up.sql")
	b, _ := os.ReadFile(f)
	os.WriteFile(f, append(b, []byte("\nCREATE TABLE extra (id int);\n")...), 0o644)
	if code, _, errOut = migrateCLI(t, "--database-url", url, "migrate", "up", "--dir", dir); code != 2 || !strings.Contains(errOut, "20260101000000_tenants_users.up.sql") || !strings.Contains(errOut, "checksum mismatch") {
		t.Errorf("up after edit: %d %s", code, errOut)
	}
	if code, _, errOut = migrateCLI(t, "migrate", "hash", "--dir", dir); code != 0 {
		t.Fatalf("hash: %d %s", code, errOut)
	}
	if code, _, errOut = migrateCLI(t, "--database-url", url, "migrate", "up", "--dir", dir); code != 1 || !strings.Contains(errOut, "changed") {
		t.Errorf("up after hashing an applied edit: %d %s", code, errOut)
	}
}

func TestMigrateNewHashAndTestCLI(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := migrateCLI(t, "migrate", "new", "--dir", dir, "--now", "2026-11-26T12:00:00Z", "add_reviews")
	if code != 0 || !strings.Contains(out, "20261126120000_add_reviews.up.sql") {
		t.Fatalf("new: %d %s %s", code, out, errOut)
	}
	up := filepath.Join(dir, "20261126120000_add_reviews.up.sql")
	down := filepath.Join(dir, "20261126120000_add_reviews.down.sql")
	os.WriteFile(up, []byte("CREATE TABLE r (id int);\nCREATE INDEX r_id_idx ON r (id);\n"), 0o644)
	os.WriteFile(down, []byte("DROP INDEX r_id_idx;\n"), 0o644) // forgets the table
	if code, _, errOut = migrateCLI(t, "migrate", "hash", "--dir", dir); code != 0 {
		t.Fatalf("hash: %d %s", code, errOut)
	}
	if code, out, errOut = migrateCLI(t, "migrate", "verify", "--dir", dir); code != 0 {
		t.Fatalf("offline verify: %d %s %s", code, out, errOut)
	}
	code, _, errOut = migrateCLI(t, "--database-url", govtest.URL(t), "migrate", "test", "--dir", dir)
	if code != 1 || !strings.Contains(errOut, "public.r") {
		t.Errorf("test of a bad rollback: %d %s", code, errOut)
	}
	os.WriteFile(down, []byte("DROP TABLE r;\n"), 0o644)
	migrateCLI(t, "migrate", "hash", "--dir", dir)
	if code, out, errOut = migrateCLI(t, "--database-url", govtest.URL(t), "migrate", "test", "--dir", dir); code != 0 {
		t.Errorf("test of a good rollback: %d %s %s", code, out, errOut)
	}
	if code, _, errOut = migrateCLI(t, "migrate", "new", "--dir", dir, "Bad Name"); code != 2 {
		t.Errorf("new with a bad name: %d %s", code, errOut)
	}
	if code, _, _ = migrateCLI(t, "migrate", "frobnicate"); code != 2 {
		t.Errorf("unknown subcommand: %d", code)
	}
}

func TestMigrateResolveCLI(t *testing.T) {
	url := govtest.URL(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "20260101000000_t.up.sql"), []byte("-- lsos:no-transaction\nCREATE TABLE t (a int);\nSELECT 1/0;\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "20260101000000_t.down.sql"), []byte("DROP TABLE t;\n"), 0o644)
	migrateCLI(t, "migrate", "hash", "--dir", dir)
	code, _, errOut := migrateCLI(t, "--database-url", url, "migrate", "up", "--dir", dir)
	if code != 1 || !strings.Contains(errOut, "dirty") {
		t.Fatalf("up: %d %s", code, errOut)
	}
	code, out, _ := migrateCLI(t, "--database-url", url, "migrate", "status", "--dir", dir)
	if !strings.Contains(out, "dirty") {
		t.Errorf("status: %s", out)
	}
	if code, _, errOut = migrateCLI(t, "--database-url", url, "migrate", "resolve", "20260101000000", "--applied", "--dir", dir); code != 2 || !strings.Contains(errOut, "--reason") {
		t.Errorf("resolve without reason: %d %s", code, errOut)
	}
	if code, out, errOut = migrateCLI(t, "--database-url", url, "migrate", "resolve", "20260101000000", "--applied", "--reason", "t is all we need", "--dir", dir); code != 0 {
		t.Fatalf("resolve: %d %s %s", code, out, errOut)
	}
	if code, out, errOut = migrateCLI(t, "--database-url", url, "migrate", "verify", "--dir", dir); code != 0 {
		t.Errorf("verify after resolve: %d %s %s", code, out, errOut)
	}
}
