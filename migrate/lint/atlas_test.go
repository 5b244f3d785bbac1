package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// atlasDiags returns the Atlas diagnostics of one code.
func atlasDiags(rep *Report, code string) []AtlasDiagnostic {
	var out []AtlasDiagnostic
	for _, d := range rep.Atlas.Diagnostics {
		if d.Code == code {
			out = append(out, d)
		}
	}
	return out
}

// findingsFor returns the findings on one object.
func findingsFor(rep *Report, obj string) governance.Findings {
	var out governance.Findings
	for _, f := range rep.Findings {
		if f.Object == obj {
			out = append(out, f)
		}
	}
	return out
}

func TestAtlasAnalyzersRun(t *testing.T) {
	rep := reviewCase(t, dirCase{migs: one("ALTER TABLE projects ADD COLUMN due_on date;")})
	if rep.Atlas == nil || rep.Atlas.Skipped != "" {
		t.Fatalf("atlas report = %+v, want the analyzers to run", rep.Atlas)
	}
	want := []string{"destructive", "data_depend", "condrop", "incompatible"}
	if strings.Join(rep.Atlas.Analyzers, ",") != strings.Join(want, ",") {
		t.Errorf("analyzers = %v, want %v", rep.Atlas.Analyzers, want)
	}
	if len(rep.Atlas.Diagnostics) != 0 {
		t.Errorf("a nullable column raises no Atlas diagnostic, got %+v", rep.Atlas.Diagnostics)
	}
}

// A dropped column is Atlas's DS103 and our destructive-change DC102: one finding.
func TestAtlasDropColumnMergedOnce(t *testing.T) {
	rep := reviewCase(t, dirCase{migs: one("ALTER TABLE projects DROP COLUMN legacy_code;")})
	dc := rep.Findings.ByCheck(governance.CheckDestructiveChange)
	if len(dc) != 1 || dc[0].Code != "DC102" || dc[0].Object != "public.projects.legacy_code" {
		t.Fatalf("destructive-change findings = %v, want exactly one DC102", dc)
	}
	if !strings.Contains(dc[0].Message, `(Atlas DS103: Dropping non-virtual column "legacy_code")`) {
		t.Errorf("the finding does not carry the Atlas code: %s", dc[0].Message)
	}
	if n := len(rep.Findings.ByCheck(governance.CheckAtlasDestructive)); n != 0 {
		t.Errorf("%d atlas-destructive findings, want the DS103 merged", n)
	}
	ds := atlasDiags(rep, "DS103")
	if len(ds) != 1 || ds[0].Outcome != AtlasMerged || ds[0].Check != governance.CheckDestructiveChange || ds[0].Line != 1 || ds[0].Analyzer != "destructive" {
		t.Fatalf("DS103 diagnostics = %+v", ds)
	}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []governance.Finding `json:"findings"`
		Atlas    AtlasReport          `json:"atlas"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Atlas.Diagnostics) != 1 || doc.Atlas.Diagnostics[0].Code != "DS103" || doc.Atlas.Diagnostics[0].Outcome != "merged" {
		t.Errorf("JSON atlas = %+v", doc.Atlas)
	}
}

// After the deprecation window our check accepts the drop; Atlas's DS103 is recorded as
// accepted, not raised behind the policy's back.
func TestAtlasDropColumnAcceptedAfterDeprecation(t *testing.T) {
	rep := reviewCase(t, dirCase{migs: two(
		"-- lsos:deprecates projects.legacy_code\n-- lsos:breaking flag=drop_legacy phase=expand\nSELECT 1;",
		"-- lsos:breaking flag=drop_legacy phase=contract\nALTER TABLE projects DROP COLUMN legacy_code;")})
	if fs := findingsFor(rep, "public.projects.legacy_code"); len(fs) != 0 {
		t.Fatalf("findings on the deprecated column: %v", fs)
	}
	ds := atlasDiags(rep, "DS103")
	if len(ds) != 1 || ds[0].Outcome != AtlasAccepted || ds[0].Check != governance.CheckDestructiveChange {
		t.Fatalf("DS103 = %+v, want accepted by destructive-change", ds)
	}
	var text, md bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), `atlas: 20260301000000_change.up.sql:2 DS103 (Dropping non-virtual column "legacy_code") accepted by destructive-change`) {
		t.Errorf("text report:\n%s", text.String())
	}
	if !strings.Contains(md.String(), "### Atlas sqlcheck") || !strings.Contains(md.String(), "| DS103 | `20260301000000_change.up.sql:2` |") {
		t.Errorf("markdown report:\n%s", md.String())
	}
}

func TestAtlasDropTableMerged(t *testing.T) {
	rep := reviewCase(t, dirCase{migs: one("DROP TABLE accounts;")})
	dc := rep.Findings.ByCheck(governance.CheckDestructiveChange)
	if len(dc) != 1 || dc[0].Code != "DC101" || !strings.Contains(dc[0].Message, "Atlas DS102") {
		t.Fatalf("destructive-change = %v, want DC101 carrying DS102", dc)
	}
}

func TestAtlasRenameColumnMerged(t *testing.T) {
	rep := reviewCase(t, dirCase{migs: one("ALTER TABLE projects RENAME COLUMN title TO name;")})
	bi := rep.Findings.ByCheck(governance.CheckBackwardIncompatible)
	if len(bi) != 1 || bi[0].Code != "BI102" || !strings.Contains(bi[0].Message, `Atlas BC102: Renaming column "title" to "name"`) {
		t.Fatalf("backward-incompatible = %v, want BI102 carrying BC102", bi)
	}
	// The rename is not mistaken for a drop.
	if ds := atlasDiags(rep, "DS103"); len(ds) != 0 {
		t.Errorf("a rename reported as a drop: %+v", ds)
	}
}

func TestAtlasRenameTableAndSetNotNullMerged(t *testing.T) {
	rep := reviewCase(t, dirCase{migs: one("ALTER TABLE projects RENAME TO initiatives;")})
	bi := rep.Findings.ByCheck(governance.CheckBackwardIncompatible)
	if len(bi) != 1 || bi[0].Code != "BI101" || !strings.Contains(bi[0].Message, `Atlas BC101: Renaming table "projects" to "initiatives"`) {
		t.Fatalf("backward-incompatible = %v, want BI101 carrying BC101", bi)
	}
	if ds := atlasDiags(rep, "DS102"); len(ds) != 0 {
		t.Errorf("a table rename reported as a drop: %+v", ds)
	}
	// accounts has no rows on dev, so SET NOT NULL runs and Atlas sees the change.
	rep = reviewCase(t, dirCase{migs: two("ALTER TABLE accounts ADD COLUMN nick text;", "ALTER TABLE accounts ALTER COLUMN nick SET NOT NULL;")})
	bi = rep.Findings.ByCheck(governance.CheckBackwardIncompatible)
	if len(bi) != 1 || bi[0].Code != "BI107" || !strings.Contains(bi[0].Message, "Atlas MF104") {
		t.Fatalf("backward-incompatible = %v, want BI107 carrying MF104", bi)
	}
	// After a validated CHECK our rule knows the scan is skipped and values are filled:
	// Atlas's MF104 (which cannot see the check) is accepted.
	rep = reviewCase(t, dirCase{migs: two(
		"UPDATE projects SET legacy_code = 'none' WHERE legacy_code IS NULL;\nALTER TABLE projects ADD CONSTRAINT projects_legacy_nn CHECK (legacy_code IS NOT NULL) NOT VALID;\nALTER TABLE projects VALIDATE CONSTRAINT projects_legacy_nn;",
		"ALTER TABLE projects ALTER COLUMN legacy_code SET NOT NULL;")})
	if d := atlasDiags(rep, "MF104"); len(d) != 1 || d[0].Outcome != AtlasAccepted || d[0].Check != governance.CheckBackwardIncompatible {
		t.Fatalf("MF104 = %+v, want accepted", d)
	}
}

// A unique index on existing columns holding data is data-dependent (MF101): a finding
// of its own, with the severity the policy gives atlas-data-depend.
func TestAtlasDataDependUniqueIndex(t *testing.T) {
	rep := reviewCase(t, dirCase{migs: one("-- lsos:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY projects_title_uq ON projects (tenant_id, title);")})
	mf := rep.Findings.ByCheck(governance.CheckAtlasDataDepend)
	if len(mf) != 1 || mf[0].Code != "MF101" || mf[0].Object != "public.projects" || mf[0].Line != 2 ||
		mf[0].Severity != governance.SeverityWarning || !strings.Contains(mf[0].Message, `"projects_title_uq"`) {
		t.Fatalf("atlas-data-depend = %v", mf)
	}
	if d := atlasDiags(rep, "MF101"); len(d) != 1 || d[0].Outcome != AtlasFinding {
		t.Errorf("MF101 diagnostics = %+v", d)
	}
	rep = reviewCase(t, dirCase{migs: one("-- lsos:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY projects_title_uq ON projects (tenant_id, title);"),
		policy: func(p *governance.Policy) { p.Severities[governance.CheckAtlasDataDepend] = governance.SeverityError }})
	if mf := rep.Findings.ByCheck(governance.CheckAtlasDataDepend); len(mf) != 1 || mf[0].Severity != governance.SeverityError {
		t.Fatalf("policy severity not applied: %v", mf)
	}
}

// A NOT NULL column without default (MF103) merges into BI105; an identity column,
// which our check knows is filled, leaves MF103 accepted.
func TestAtlasNotNullColumn(t *testing.T) {
	rep := reviewCase(t, dirCase{migs: one("ALTER TABLE accounts ADD COLUMN rank integer NOT NULL;")})
	bi := rep.Findings.ByCheck(governance.CheckBackwardIncompatible)
	if len(bi) != 1 || bi[0].Code != "BI105" || !strings.Contains(bi[0].Message, "Atlas MF103") {
		t.Fatalf("backward-incompatible = %v, want BI105 carrying MF103", bi)
	}
	rep = reviewCase(t, dirCase{migs: one("ALTER TABLE accounts ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;")})
	if bi := rep.Findings.ByCheck(governance.CheckBackwardIncompatible); len(bi) != 0 {
		t.Fatalf("identity column flagged: %v", bi)
	}
	if d := atlasDiags(rep, "MF103"); len(d) != 1 || d[0].Outcome != AtlasAccepted {
		t.Fatalf("MF103 = %+v, want accepted", d)
	}
}

// Atlas inspects through a session of its own; a dev database given as a transaction
// cannot be seen from there, so the analyzers are skipped and the report says why.
func TestAtlasSkippedInTransaction(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	rep, err := Review(ctx, tx, buildDir(t, dirCase{migs: one("ALTER TABLE projects DROP COLUMN legacy_code;")}),
		Options{Since: baseVersion, Now: func() time.Time { return corpusNow }})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Atlas.Skipped, "*pgxpool.Tx") {
		t.Errorf("skipped = %q, want the reason", rep.Atlas.Skipped)
	}
	if dc := rep.Findings.ByCheck(governance.CheckDestructiveChange); len(dc) != 1 || strings.Contains(dc[0].Message, "Atlas") {
		t.Errorf("our check must still run without Atlas: %v", dc)
	}
}
