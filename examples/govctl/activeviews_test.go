package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/govtest"
)

func TestTenantActiveViewsCLI(t *testing.T) {
	url := govtest.URLFrom(t, "govctl-integrity-sample", integritySetup)
	conn := govtest.Conn(t, url)
	ctx := context.Background()
	count := func(sql string) (n int64) {
		t.Helper()
		if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	code, out, errOut := govctl(t, "--database-url", url, "--format", "json", "tenant", "active-views")
	var res struct {
		Schema string `json:"schema"`
		Views  []struct {
			View, Table string
		} `json:"views"`
	}
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || res.Schema != "lsos_active" || len(res.Views) < 10 {
		t.Fatalf("install: exit %d, %v, %+v, stderr %s", code, err, res, errOut)
	}
	all := count(`SELECT count(*) FROM lsos_active.reviews`)
	mine := count(`SELECT count(*) FROM public.reviews WHERE tenant_id = 2`)
	if all != count(`SELECT count(*) FROM public.reviews`) || mine == 0 {
		t.Fatalf("before any soft delete the view shows %d of the table's rows (tenant 2 has %d)", all, mine)
	}
	// Soft-deleting a tenant hides its rows at once, without re-installing.
	if _, err := conn.Exec(ctx, `UPDATE tenants SET deleted_at = now() WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	if got := count(`SELECT count(*) FROM lsos_active.reviews`); got != all-mine {
		t.Fatalf("after soft-deleting tenant 2 the view shows %d rows, want %d", got, all-mine)
	}
	if got := count(`SELECT count(*) FROM lsos_active.reviews WHERE tenant_id = 2`); got != 0 {
		t.Fatalf("the view still shows %d rows of the soft-deleted tenant", got)
	}

	// Text output, then --drop removes them.
	if code, out, _ := govctl(t, "--database-url", url, "tenant", "active-views"); code != 0 || !strings.Contains(out, "lsos_active.reviews -> public.reviews") {
		t.Fatalf("text install: exit %d\n%s", code, out)
	}
	if code, out, errOut := govctl(t, "--database-url", url, "tenant", "active-views", "--drop"); code != 0 || !strings.HasPrefix(out, "dropped ") {
		t.Fatalf("drop: exit %d %s %s", code, out, errOut)
	}
	if n := count(`SELECT count(*) FROM pg_views WHERE schemaname = 'lsos_active'`); n != 0 {
		t.Fatalf("%d view(s) left after --drop", n)
	}
	// Bad usage exits 2.
	if code, _, _ := govctl(t, "--database-url", url, "tenant", "active-views", "--grant", "x", "--drop"); code != 2 {
		t.Fatalf("--grant with --drop: exit %d, want 2", code)
	}
	if code, _, _ := govctl(t, "tenant", "active-views"); code != 2 {
		t.Fatalf("no database: exit %d, want 2", code)
	}
}
