package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/migrate"
)

func TestDestructiveSaysWhenAllowed(t *testing.T) {
	rep := reviewCase(t, dirCase{migs: []mig{
		{version: "20260520000000", name: "deprecate", up: "-- lsos:deprecates projects.legacy_code\nSELECT 1;"},
		{version: "20260525000000", name: "drop", up: "ALTER TABLE projects DROP COLUMN legacy_code;"}}})
	fs := rep.Findings.ByCheck(governance.CheckDestructiveChange)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "allowed from 2026-06-19T00:00:00Z") {
		t.Fatalf("want one destructive-change saying the drop is allowed from 2026-06-19, got %v", fs)
	}
	if fs[0].Severity != governance.SeverityError {
		t.Errorf("severity %v, want error", fs[0].Severity)
	}
}

func TestSeverityOverrideAndSuppressionReported(t *testing.T) {
	rep := reviewCase(t, dirCase{
		migs:   one("-- lsos:allow index-impact reason=\"reviewed by DBA\"\nCREATE INDEX projects_title_idx ON projects (title);"),
		policy: func(p *governance.Policy) { p.Severities[governance.CheckLockRisk] = governance.SeverityWarning },
	})
	lr := rep.Findings.ByCheck(governance.CheckLockRisk)
	if len(lr) != 1 || lr[0].Severity != governance.SeverityWarning {
		t.Fatalf("lock-risk with policy override: %v", lr)
	}
	if rep.HasErrors() {
		t.Errorf("a warning-only report must not have errors: %v", rep.Findings)
	}
	if len(rep.Suppressed) != 1 || rep.Suppressed[0].Reason != "reviewed by DBA" || rep.Suppressed[0].Finding.Check != governance.CheckIndexImpact {
		t.Fatalf("suppressed = %+v", rep.Suppressed)
	}
	if len(rep.IndexImpact) != 1 || rep.IndexImpact[0].Rows != 1 || rep.IndexImpact[0].EstIndexBytes <= 8192 {
		t.Errorf("index impact = %+v (projects has 1 row)", rep.IndexImpact)
	}
}

func TestFlagsListedForContract(t *testing.T) {
	rep := reviewCase(t, dirCase{migs: two(
		"-- lsos:breaking flag=project_label phase=expand\nALTER TABLE projects ADD COLUMN label text;",
		"-- lsos:breaking flag=project_label phase=contract\nALTER TABLE projects RENAME COLUMN title TO old_title;")})
	if len(rep.Flags) != 1 || rep.Flags[0].Flag != "project_label" || rep.Flags[0].ExpandVersion != prevVersion || rep.Flags[0].Version != caseVersion {
		t.Fatalf("flags = %+v", rep.Flags)
	}
}

func TestApprovalsRequired(t *testing.T) {
	rep := reviewCase(t, dirCase{migs: one("ALTER TABLE accounts ADD COLUMN phone text;"), approvals: "-"})
	if len(rep.Approvals) != 1 {
		t.Fatalf("approvals = %+v", rep.Approvals)
	}
	a := rep.Approvals[0]
	want := []governance.Approver{governance.ApproverBackendOwner, governance.ApproverPlatformOwner, governance.ApproverSecurity}
	if strings.Join(toS(a.Required), ",") != strings.Join(toS(want), ",") || len(a.Missing) != 3 {
		t.Fatalf("required %v missing %v, want %v all missing", a.Required, a.Missing, want)
	}
}

func toS(as []governance.Approver) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

func TestReportFormats(t *testing.T) {
	rep := reviewCase(t, dirCase{migs: one("-- lsos:allow unclassified-column reason=\"scratch\"\nALTER TABLE projects ADD COLUMN notes text;\nCREATE INDEX projects_title_idx ON projects (title);"), approvals: "-"})
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []struct {
			Check, Code, Severity, Object, File string
			Line                                int
		}
		Approvals   []map[string]any
		IndexImpact []map[string]any `json:"index_impact"`
		Suppressed  []map[string]any
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != 3 || doc.Findings[0].File != caseFile || doc.Findings[0].Line == 0 || doc.Findings[0].Severity == "" {
		t.Fatalf("json findings = %+v", doc.Findings)
	}
	if len(doc.Approvals) != 1 || len(doc.IndexImpact) != 1 || len(doc.Suppressed) != 1 {
		t.Fatalf("json extras: approvals %v index %v suppressed %v", doc.Approvals, doc.IndexImpact, doc.Suppressed)
	}
	var md bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"## Migration review", "| error | `lock-risk` | LR101 | `" + caseFile + ":3`", "### Index impact", "### Approvals required", "backend-owner, platform-owner", "### Suppressed"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q:\n%s", s, md.String())
		}
	}
	var txt bytes.Buffer
	if err := rep.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), caseFile+":3: error lock-risk [LR101]") || !strings.Contains(txt.String(), "approvals "+caseVersion) {
		t.Errorf("text:\n%s", txt.String())
	}
}

func TestStaticFallbackRecorded(t *testing.T) {
	rep := reviewCase(t, dirCase{migs: one("ALTER TABLE projects ADD COLUMN priority integer NOT NULL;")})
	if len(rep.Static) != 1 || rep.Static[0].Line != 1 {
		t.Fatalf("static = %+v (the column cannot be added to a non-empty table on dev)", rep.Static)
	}
	if len(rep.Findings.ByCheck(governance.CheckBackwardIncompatible)) != 1 {
		t.Errorf("the statement is still reviewed from its parse tree: %v", rep.Findings)
	}
}

func TestRefusesNonEmptyDevAndBadDirectives(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	if _, err := db.Exec(ctx, "CREATE TABLE prod_data (id int)"); err != nil {
		t.Fatal(err)
	}
	d := buildDir(t, dirCase{migs: one("SELECT 1;")})
	if _, err := Review(ctx, db, d, Options{}); !errors.Is(err, ErrDevNotEmpty) {
		t.Fatalf("err = %v, want ErrDevNotEmpty", err)
	}
	// An allow naming a check the review does not run is a finding, with file and line.
	d = buildDir(t, dirCase{migs: one("SELECT 1;\n-- lsos:allow no-such-check reason=\"x\"\nSELECT 2;")})
	rep, err := Review(ctx, pgtest.DB(t, "", nil), d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	im := rep.Findings.ByCheck(governance.CheckInvalidMigration)
	if len(im) != 1 || im[0].Code != "IM104" || im[0].Line != 2 || im[0].File != caseFile || !strings.Contains(im[0].Message, "no-such-check") {
		t.Fatalf("invalid-migration findings = %v, want IM104 at %s:2 naming the check", im, caseFile)
	}
	_, err = LoadFS(fstest.MapFS{"1_x.up.sql": &fstest.MapFile{Data: []byte("SELECT 1;")}})
	if !errors.Is(err, migrate.ErrBadName) || !strings.Contains(err.Error(), "1_x.up.sql") {
		t.Fatalf("err = %v, want migrate.ErrBadName naming the file", err)
	}
}

func TestSampleLSOSIsClean(t *testing.T) {
	// The sample schema's own migrations: composite tenant FKs, CONCURRENTLY index.
	ctx := context.Background()
	d, err := LoadFS(lsosMigrations())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Review(ctx, pgtest.DB(t, "", nil), d, Options{Now: func() time.Time { return corpusNow }})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		switch f.Check {
		case governance.CheckLockRisk, governance.CheckChecksumMismatch, governance.CheckMissingRollback,
			governance.CheckDestructiveChange, governance.CheckBackwardIncompatible,
			governance.CheckAtlasDestructive, governance.CheckAtlasDataDepend, governance.CheckAtlasConDrop, governance.CheckAtlasIncompatible:
			t.Errorf("sample migration flagged: %s", f)
		}
		if f.Code == "II104" || f.Code == "II105" {
			t.Errorf("sample index reported redundant: %s", f)
		}
	}
	if rep.Atlas == nil || rep.Atlas.Skipped != "" || len(rep.Atlas.Diagnostics) != 0 {
		t.Errorf("atlas on the sample: %+v, want the analyzers run and silent", rep.Atlas)
	}
	if len(rep.Reviewed) != 6 || len(rep.Static) != 0 {
		t.Errorf("reviewed %v, static %v", rep.Reviewed, rep.Static)
	}
}

func TestDefaultClassifierUsesClassify(t *testing.T) {
	p := governance.Default()
	db := pgtest.DB(t, "", nil)
	rep, err := Review(context.Background(), db, buildDir(t, dirCase{migs: one("ALTER TABLE accounts ADD COLUMN recovery_email text;")}),
		Options{Policy: p, Since: baseVersion, Now: func() time.Time { return corpusNow }})
	if err != nil {
		t.Fatal(err)
	}
	if fs := rep.Findings.ByCheck(governance.CheckSensitiveChange); len(fs) != 1 || fs[0].Object != "public.accounts.recovery_email" {
		t.Fatalf("default classifier (package classify) must call an e-mail column sensitive: %v", rep.Findings)
	}
}
