package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/govtest"
)

func integritySetup(ctx context.Context, c *pgx.Conn) error {
	if err := lsos.Apply(ctx, c); err != nil {
		return err
	}
	return lsos.LoadSample(ctx, c, lsos.SampleOptions{Now: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)})
}

func TestIntegrityCheckCLI(t *testing.T) {
	url := govtest.URLFrom(t, "govctl-integrity-sample", integritySetup)
	const now = "--now=2026-03-15T12:00:00Z"
	code, out, errOut := govctl(t, "--database-url", url, "--format", "json", "integrity", "check", now)
	if code != 0 || strings.TrimSpace(out) != `{
  "findings": []
}` {
		t.Fatalf("clean sample: exit %d, stdout %s, stderr %s", code, out, errOut)
	}

	conn := govtest.Conn(t, url)
	if _, err := conn.Exec(context.Background(), `ALTER TABLE keywords DROP CONSTRAINT keywords_tenant_id_campaign_id_fkey;
		INSERT INTO keywords (tenant_id, campaign_id, phrase) VALUES (1, 999999, 'orphan'), (2, 999999, 'orphan');
		DROP INDEX reviews_tenant_location_idx`); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = govctl(t, "--database-url", url, "--format", "json", "integrity", "check", now, "--checks", "orphaned-rows,fk-missing-index")
	var rep governance.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if code != 1 || len(rep.Findings) != 2 || rep.Findings[0].Check != "orphaned-rows" || rep.Findings[0].Count != 2 ||
		rep.Findings[0].Object != "public.keywords.campaign_id" || rep.Findings[1].Object != "public.reviews.(tenant_id,location_id)" {
		t.Fatalf("exit %d, findings %+v, stderr %s", code, rep.Findings, errOut)
	}

	// Warnings alone exit 0; --tables narrows the run.
	code, out, _ = govctl(t, "--database-url", url, "integrity", "check", now, "--tables", "reviews")
	if code != 0 || !strings.HasPrefix(out, "warning fk-missing-index [IN107] public.reviews.(tenant_id,location_id): ") || strings.Count(out, "\n") != 1 {
		t.Fatalf("text, reviews only: exit %d\n%s", code, out)
	}

	// --save stores the run for trends.
	if code, _, errOut = govctl(t, "--database-url", url, "integrity", "check", now, "--save"); code != 1 || !strings.Contains(errOut, "saved integrity run 1") {
		t.Fatalf("save: exit %d, %s", code, errOut)
	}
}

func TestIntegrityCheckUsage(t *testing.T) {
	url := govtest.URLFrom(t, "govctl-integrity-sample", integritySetup)
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"integrity"}, "want a subcommand"},
		{[]string{"integrity", "fix"}, `unknown subcommand "fix"`},
		{[]string{"integrity", "check", "--checks", "orphans"}, `unknown check: "orphans"`},
		{[]string{"integrity", "check", "--now", "yesterday"}, `--now "yesterday"`},
		{[]string{"--database-url", url, "integrity", "check", "--tables", "nosuch"}, "nosuch is not a table"},
		{[]string{"--database-url", "", "integrity", "check"}, "no database"},
	} {
		code, _, errOut := govctl(t, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.msg) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.msg)
		}
	}
}
