package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/govtest"
)

func classifySetup(ctx context.Context, c *pgx.Conn) error {
	if err := lsos.Apply(ctx, c); err != nil {
		return err
	}
	return lsos.LoadSample(ctx, c, lsos.SampleOptions{Now: time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)})
}

func classifyCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestClassifyJSONTextAndAnnotate(t *testing.T) {
	url := govtest.URLFrom(t, "govctl-classify", classifySetup)
	code, out, errOut := classifyCLI(t, "--database-url", url, "--format", "json", "classify", "--sample", "50")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Columns []struct {
			Table, Column, Class, Source, Reason string
		} `json:"columns"`
		Findings []json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	found := false
	for _, c := range doc.Columns {
		if c.Table == "public.users" && c.Column == "email" {
			found = c.Class == "sensitive" && c.Source == "rule" && c.Reason != ""
		}
	}
	if !found || len(doc.Findings) != 0 || doc.Findings == nil {
		t.Errorf("want public.users.email sensitive by rule and an empty findings list; got %s", out)
	}

	code, out, _ = classifyCLI(t, "--database-url", url, "classify")
	if code != 0 || !strings.Contains(out, "public.users") || !strings.Contains(out, "CLASS") || !strings.Contains(out, "sensitive") {
		t.Errorf("text: exit %d\n%s", code, out)
	}

	code, _, errOut = classifyCLI(t, "--database-url", url, "classify", "--annotate")
	if code != 0 || !strings.Contains(errOut, "annotated") {
		t.Fatalf("--annotate: exit %d: %s", code, errOut)
	}
	conn := govtest.Conn(t, url)
	var comment string
	if err := conn.QueryRow(context.Background(), `SELECT col_description('users'::regclass, 2)`).Scan(&comment); err != nil {
		t.Fatal(err)
	}
	if comment != "lsos:class=operational" { // users.tenant_id
		t.Errorf("users.tenant_id comment = %q", comment)
	}
	code, out, _ = classifyCLI(t, "--database-url", url, "--format", "json", "classify", "--no-sample")
	doc.Columns = nil
	if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil || len(doc.Columns) == 0 {
		t.Fatalf("exit %d, %v", code, err)
	}
	for _, c := range doc.Columns {
		if c.Source != "annotation" {
			t.Errorf("after --annotate %s.%s comes from %s, want its annotation", c.Table, c.Column, c.Source)
		}
	}
}

func TestClassifyUnclassifiedColumnsAndUsageErrors(t *testing.T) {
	url := govtest.URL(t)
	conn := govtest.Conn(t, url)
	if _, err := conn.Exec(context.Background(), `CREATE TABLE widgets (label text)`); err != nil {
		t.Fatal(err)
	}
	code, out, _ := classifyCLI(t, "--database-url", url, "classify")
	if code != 0 || !strings.Contains(out, "unclassified-column") || !strings.Contains(out, "public.widgets.label") {
		t.Errorf("warning finding: exit %d\n%s", code, out)
	}
	// A policy that makes unclassified columns errors exits 1.
	dir := t.TempDir()
	policy := dir + "/policy.yaml"
	classifyWriteFile(t, policy, "severities:\n  unclassified-column: error\n")
	if code, _, _ := classifyCLI(t, "--database-url", url, "--policy", policy, "classify"); code != 1 {
		t.Errorf("error-severity unclassified column: exit %d, want 1", code)
	}
	for _, args := range [][]string{
		{"--database-url", url, "classify", "--sample", "0"},
		{"--database-url", url, "classify", "--bogus"},
		{"--database-url", url, "classify", "extra"},
		{"--database-url", "", "classify"},
	} {
		if code, _, errOut := classifyCLI(t, args...); code != 2 || !strings.HasPrefix(errOut, "govctl: classify") {
			t.Errorf("%v: exit %d %q, want 2 with a classify message", args, code, errOut)
		}
	}
}

func classifyWriteFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
