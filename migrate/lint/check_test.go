package lint

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// noSelectStar is a check of a team's own: SELECT * in a migration is refused.
type noSelectStar struct{ seenDev bool }

func (*noSelectStar) Name() string { return "no-select-star" }

func (c *noSelectStar) Review(ctx context.Context, pass *Pass) error {
	var n int
	if err := pass.Dev.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relname = 'projects'`).Scan(&n); err != nil {
		return err
	}
	c.seenDev = n == 1
	for _, s := range pass.Statements {
		if s.Node.GetCreateTableAsStmt() != nil && strings.Contains(s.SQL, "*") {
			pass.Report(governance.Finding{Code: "NS101", Line: s.Line, Message: "CREATE TABLE AS SELECT *: list the columns"})
		}
	}
	return nil
}

func TestCustomCheckAndSwitchingBuiltinsOff(t *testing.T) {
	ctx := context.Background()
	sql := "CREATE INDEX projects_title_idx ON projects (title);\nCREATE TABLE projects_copy AS SELECT * FROM projects;\n" +
		"-- lsos:allow no-select-star reason=\"one-off copy\"\nCREATE TABLE projects_copy2 AS SELECT * FROM projects;"
	run := func(checks []Check) *Report {
		t.Helper()
		rep, err := Review(ctx, pgtest.DB(t, "", nil), buildDir(t, dirCase{migs: one(sql)}), Options{
			Since: baseVersion, Now: func() time.Time { return corpusNow }, Checks: checks})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	custom := &noSelectStar{}
	rep := run(append(Builtin(), custom))
	got := rep.Findings.ByCheck("no-select-star")
	if len(got) != 1 || got[0].Line != 2 || got[0].Code != "NS101" || got[0].Severity != governance.SeverityWarning || got[0].File != caseFile {
		t.Fatalf("custom check findings = %v, want one warning NS101 at line 2 (line 4 is allowed)", got)
	}
	if len(rep.Suppressed) != 1 || rep.Suppressed[0].Finding.Check != "no-select-star" {
		t.Errorf("the allow directive must suppress the custom finding on line 4: %+v", rep.Suppressed)
	}
	if !custom.seenDev {
		t.Error("a check must see the dev database with the version applied")
	}
	if len(rep.Findings.ByCheck(governance.CheckLockRisk)) == 0 {
		t.Fatal("with Builtin() the lock-risk check must report the non-concurrent index")
	}
	// Without lock-risk in Options.Checks, its findings are gone and the rest stay.
	var noLock []Check
	for _, c := range Builtin() {
		if c.Name() != governance.CheckLockRisk {
			noLock = append(noLock, c)
		}
	}
	rep = run(noLock)
	if n := len(rep.Findings.ByCheck(governance.CheckLockRisk)); n != 0 {
		t.Errorf("lock-risk switched off, still %d findings", n)
	}
	if len(rep.Findings.ByCheck(governance.CheckIndexImpact)) == 0 {
		t.Error("index-impact must still report the index")
	}
	if _, err := Review(ctx, pgtest.DB(t, "", nil), buildDir(t, dirCase{migs: one("SELECT 1;")}), Options{Checks: []Check{custom, custom}}); !errors.Is(err, ErrOptions) {
		t.Errorf("a check listed twice must be refused with ErrOptions, got %v", err)
	}
}

// TestUnnamedConstraintMessageNamesTheKey: an ADD PRIMARY KEY without a constraint
// name is described by its key, not by an empty name.
func TestUnnamedConstraintMessageNamesTheKey(t *testing.T) {
	rep := reviewCase(t, dirCase{migs: two("CREATE TABLE plain (id bigint NOT NULL, tenant_id bigint NOT NULL REFERENCES tenants (id));",
		"ALTER TABLE plain ADD PRIMARY KEY (id);")})
	lr := rep.Findings.ByCheck(governance.CheckLockRisk)
	for _, f := range lr {
		if f.Code == CodeConstraintIndexBuild {
			if !strings.Contains(f.Message, "ADD PRIMARY KEY (id) builds its index") || strings.Contains(f.Message, "CONSTRAINT  ") {
				t.Fatalf("LR110 message %q must name the key", f.Message)
			}
			return
		}
	}
	t.Fatalf("no LR110 for ADD PRIMARY KEY on an existing table: %v", lr)
}
