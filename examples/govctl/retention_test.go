package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/govtest"
)

var retentionNow = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

func retentionSetup(ctx context.Context, c *pgx.Conn) error {
	if err := lsos.Apply(ctx, c); err != nil {
		return err
	}
	return lsos.LoadSample(ctx, c, lsos.SampleOptions{Now: retentionNow})
}

func retentionCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRetentionCutoffsJSON(t *testing.T) {
	url := govtest.URLFrom(t, "govctl-retention", retentionSetup)
	code, out, errOut := retentionCLI(t, "--database-url", url, "--format", "json", "retention", "cutoffs", "--now", "2026-11-26T00:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// The text form names the same cutoffs and reports tables without a rule.
	_, txt, _ := retentionCLI(t, "--database-url", url, "retention", "cutoffs", "--now", "2026-11-26T00:00:00Z")
	if !strings.Contains(txt, "2025-10-26T00:00:00Z  11 partitions") || !strings.Contains(txt, "unmatched public.users") {
		t.Errorf("text output:\n%s", txt)
	}
	var doc struct {
		Tables []map[string]json.RawMessage `json:"tables"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rs map[string]json.RawMessage
	for _, tb := range doc.Tables {
		for _, k := range []string{"table", "category", "keep", "cutoff", "eligible_partitions", "blocked"} {
			if _, ok := tb[k]; !ok {
				t.Errorf("table entry lacks %q: %v", k, tb)
			}
		}
		if string(tb["table"]) == `"public.ranking_snapshots"` {
			rs = tb
		}
	}
	if rs == nil {
		t.Fatalf("no public.ranking_snapshots in %s", out)
	}
	var entry struct {
		Category, Keep, Cutoff string
		Eligible               []string `json:"eligible_partitions"`
		Blocked                []struct{ Partition, Reason string }
	}
	raw, _ := json.Marshal(rs)
	_ = json.Unmarshal(raw, &entry)
	var want []string
	for m := time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC); !m.AddDate(0, 1, 0).After(time.Date(2025, 10, 26, 0, 0, 0, 0, time.UTC)); m = m.AddDate(0, 1, 0) {
		want = append(want, "public."+lsos.PartitionName("ranking_snapshots", m))
	}
	if entry.Category != "snapshots" || entry.Keep != "13 months" || entry.Cutoff != "2025-10-26T00:00:00Z" || !slices.Equal(entry.Eligible, want) {
		t.Errorf("ranking_snapshots: %+v\nwant eligible %v", entry, want)
	}
	if len(entry.Blocked) == 0 || entry.Blocked[0].Partition != "public.ranking_snapshots_2025_10" || !strings.Contains(entry.Blocked[0].Reason, "after the cutoff") {
		t.Errorf("blocked: %+v", entry.Blocked)
	}
	if code, _, errOut := retentionCLI(t, "--database-url", url, "retention", "cutoffs", "--now", "yesterday"); code != 2 || !strings.Contains(errOut, "--now") {
		t.Errorf("bad --now: exit %d %q", code, errOut)
	}
}

func TestRetentionHoldsCLI(t *testing.T) {
	url := govtest.URLFrom(t, "govctl-retention", retentionSetup)
	db := []string{"--database-url", url}
	code, out, errOut := retentionCLI(t, append(db, "--format", "json", "retention", "holds", "add", "--tenant", "2", "--reason", "litigation", "--by", "legal", "--from", "2026-11-01T00:00:00Z")...)
	if code != 0 {
		t.Fatalf("add: exit %d %s", code, errOut)
	}
	var h struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &h); err != nil || h.ID == 0 {
		t.Fatalf("add output %q: %v", out, err)
	}
	if code, _, errOut := retentionCLI(t, append(db, "retention", "holds", "add", "--reason", "x")...); code != 2 || !strings.Contains(errOut, "--tenant") {
		t.Errorf("add without scope: exit %d %q", code, errOut)
	}
	// The hold blocks every partition holding tenant 2's data.
	code, out, _ = retentionCLI(t, append(db, "--format", "json", "retention", "cutoffs", "--now", "2026-11-26T00:00:00Z")...)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("legal hold %d", h.ID)) {
		t.Errorf("cutoffs under a hold: exit %d\n%s", code, out)
	}
	var doc struct {
		Tables []struct {
			Table    string
			Eligible []string `json:"eligible_partitions"`
		}
	}
	_ = json.Unmarshal([]byte(out), &doc)
	for _, tb := range doc.Tables {
		if len(tb.Eligible) != 0 {
			t.Errorf("%s has eligible partitions %v under a hold on a tenant present in all of them", tb.Table, tb.Eligible)
		}
	}
	code, out, _ = retentionCLI(t, append(db, "retention", "holds", "list", "--active", "--now", "2026-11-26T00:00:00Z")...)
	if code != 0 || !strings.Contains(out, "tenant 2") || !strings.Contains(out, "litigation") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	if code, out, errOut := retentionCLI(t, append(db, "retention", "holds", "release", fmt.Sprint(h.ID), "--by", "legal", "--now", "2026-11-20T00:00:00Z")...); code != 0 || !strings.Contains(out, "released") {
		t.Errorf("release: exit %d %s %s", code, out, errOut)
	}
	if code, _, _ := retentionCLI(t, append(db, "retention", "holds", "release", fmt.Sprint(h.ID), "--by", "legal")...); code != 2 {
		t.Errorf("second release: exit %d, want 2", code)
	}
	code, out, _ = retentionCLI(t, append(db, "--format", "json", "retention", "holds", "list", "--active", "--now", "2026-11-26T00:00:00Z")...)
	if code != 0 || !strings.Contains(out, `"holds": []`) {
		t.Errorf("no active holds after release: %s", out)
	}
}

func TestTenantOffboardCLI(t *testing.T) {
	url := govtest.URLFrom(t, "govctl-retention", retentionSetup)
	db := []string{"--database-url", url}
	if code, _, errOut := retentionCLI(t, append(db, "tenant", "offboard", "--tenant", "1", "--stage", "purge")...); code != 2 || !strings.Contains(errOut, "--stage") {
		t.Errorf("bad stage: exit %d %q", code, errOut)
	}
	code, out, errOut := retentionCLI(t, append(db, "tenant", "offboard", "--tenant", "1", "--stage", "hard-delete", "--dry-run")...)
	if code != 0 || !strings.Contains(out, "tenant 1 is active") {
		t.Fatalf("dry run: exit %d %s %s", code, out, errOut)
	}
	lines := strings.Split(out, "\n")
	idx := func(table string) int {
		return slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, " "+table+" ") })
	}
	if !(idx("public.auth_tokens") < idx("public.users") && idx("public.users") < idx("public.tenants") && idx("public.ranking_snapshots") < idx("public.keywords")) || idx("public.tenants") < 0 {
		t.Errorf("dry-run order is not children first:\n%s", out)
	}
	var want int
	if err := govtest.Conn(t, url).QueryRow(context.Background(), `SELECT count(*) FROM ranking_snapshots WHERE tenant_id = 1`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(lines[idx("public.ranking_snapshots")]); len(f) != 3 || f[2] != fmt.Sprint(want) {
		t.Errorf("dry run row count for ranking_snapshots: %q, want %d", f, want)
	}
	now := "--now=2026-11-26T00:00:00Z"
	if code, out, errOut := retentionCLI(t, append(db, "tenant", "offboard", "--tenant", "1", "--stage", "soft-delete", now, "--by", "ops")...); code != 0 || !strings.Contains(out, "export-window") {
		t.Fatalf("soft delete: exit %d %s %s", code, out, errOut)
	}
	code, _, errOut = retentionCLI(t, append(db, "tenant", "offboard", "--tenant", "1", "--stage", "hard-delete", "--now=2026-12-01T00:00:00Z")...)
	if code != 1 || !strings.Contains(errOut, "export window") {
		t.Errorf("hard delete in the window: exit %d %q", code, errOut)
	}
	store := "file://" + filepath.ToSlash(t.TempDir())
	code, out, errOut = retentionCLI(t, append(db, "tenant", "offboard", "--tenant", "1", "--stage", "export", "--store", store, "--now=2026-12-01T00:00:00Z")...)
	if code != 0 || !strings.Contains(out, "public.ranking_snapshots") || !strings.Contains(out, ".parquet") {
		t.Errorf("export: exit %d %s %s", code, out, errOut)
	}
	code, _, errOut = retentionCLI(t, append(db, "tenant", "offboard", "--tenant", "1", "--stage", "hard-delete", "--now=2027-01-15T00:00:00Z")...)
	if code != 1 || !strings.Contains(errOut, "public.audit_log") || !strings.Contains(errOut, "floor") {
		t.Errorf("hard delete inside the audit floor: exit %d %q", code, errOut)
	}
	code, out, errOut = retentionCLI(t, append(db, "tenant", "offboard", "--tenant", "1", "--stage", "hard-delete", "--now=2029-01-01T00:00:00Z", "--by", "ops")...)
	if code != 0 || !strings.Contains(out, "offboard:1") {
		t.Fatalf("hard delete: exit %d %s %s", code, out, errOut)
	}
	conn := govtest.Conn(t, url)
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM ranking_snapshots WHERE tenant_id = 1) + (SELECT count(*) FROM tenants WHERE id = 1)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("tenant 1 rows left: %d %v", n, err)
	}
}
