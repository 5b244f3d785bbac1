package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/govtest"
)

func archiveSetup(ctx context.Context, c *pgx.Conn) error {
	if err := lsos.Apply(ctx, c); err != nil {
		return err
	}
	return lsos.LoadSample(ctx, c, lsos.SampleOptions{Now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)})
}

func archiveCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestArchiveCommands(t *testing.T) {
	ctx := context.Background()
	url := govtest.URLFrom(t, "govctl-archive", archiveSetup)
	store := "file://" + t.TempDir()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var before int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM ranking_snapshots`).Scan(&before); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := archiveCLI(t, "--database-url", url, "archive", "run", "--table", "ranking_snapshots", "--store", store, "--now", "2026-11-26T12:00:00Z", "--dry-run")
	if code != 0 || !strings.Contains(out, "dry run: would archive") || !strings.Contains(out, "public.ranking_snapshots_2024_11") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = archiveCLI(t, "--database-url", url, "archive", "run", "--table", "ranking_snapshots", "--store", store, "--now", "2026-11-26T12:00:00Z")
	if code != 0 || !strings.Contains(out, "archived 11 partition(s)") {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}

	code, out, errOut = archiveCLI(t, "archive", "list", "--store", store)
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, errOut)
	}
	var list struct {
		Archives []map[string]any `json:"archives"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("list output is not JSON: %v\n%s", err, out)
	}
	if len(list.Archives) != 11 {
		t.Fatalf("%d archives listed; want 11", len(list.Archives))
	}
	first := list.Archives[0]
	keys := []string{"id", "table", "partition", "from", "to", "rows", "bytes", "sha256", "object"}
	if len(first) != len(keys) {
		t.Errorf("entry has keys %v; want exactly %v", first, keys)
	}
	for _, k := range keys {
		if _, ok := first[k]; !ok {
			t.Errorf("entry lacks %q: %v", k, first)
		}
	}
	if first["table"] != "public.ranking_snapshots" || first["partition"] != "public.ranking_snapshots_2024_11" || first["from"] != "2024-11-01T00:00:00Z" {
		t.Errorf("first entry %v", first)
	}
	var archived float64
	for _, a := range list.Archives {
		archived += a["rows"].(float64)
	}
	var after int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM ranking_snapshots`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if int64(archived) != before-after || archived == 0 {
		t.Fatalf("list rows %v; %d rows removed", archived, before-after)
	}

	id := first["id"].(string)
	if code, out, errOut = archiveCLI(t, "--database-url", url, "archive", "verify", "--id", id, "--store", store); code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("verify: exit %d %s %s", code, out, errOut)
	}
	if code, out, errOut = archiveCLI(t, "--database-url", url, "archive", "restore", "--id", id, "--into", "audit_2024_11", "--store", store); code != 0 {
		t.Fatalf("restore: exit %d %s %s", code, out, errOut)
	}
	var n float64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_2024_11`).Scan(&n); err != nil || n != first["rows"].(float64) {
		t.Fatalf("restored %v rows (%v); want %v", n, err, first["rows"])
	}
	// The partition's indexes come back with the rows, unless --no-indexes.
	indexes := func(table string) (n int) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1`, table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := indexes("audit_2024_11"); got == 0 {
		t.Fatalf("restore recreated no index on audit_2024_11")
	}
	if code, out, errOut = archiveCLI(t, "--database-url", url, "archive", "restore", "--id", id, "--into", "audit_2024_11_bare", "--store", store, "--no-indexes"); code != 0 {
		t.Fatalf("restore --no-indexes: exit %d %s %s", code, out, errOut)
	}
	if got := indexes("audit_2024_11_bare"); got != 0 {
		t.Fatalf("restore --no-indexes: %d index(es) on the new table", got)
	}

	// Bad usage exits 2 with a one-line message.
	for _, args := range [][]string{
		{"archive"},
		{"archive", "run", "--store", store},
		{"archive", "run", "--table", "ranking_snapshots"},
		{"archive", "run", "--table", "x", "--store", store, "--now", "yesterday"},
		{"archive", "verify", "--store", store},
		{"--database-url", url, "archive", "verify", "--id", "nope", "--store", store},
		{"archive", "list", "--store", "ftp://x"},
	} {
		if code, _, errOut := archiveCLI(t, args...); code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, errOut)
		}
	}
}
