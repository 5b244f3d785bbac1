package integrity

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// sampleNow is the fixed clock of the sample data: partitions exist from 2024-03
// through 2026-04.
var sampleNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return sampleNow }

// sampleSetup builds the LSOS sample schema with data (the template of sampleDB).
func sampleSetup(ctx context.Context, c *pgx.Conn) error {
	if err := lsos.Apply(ctx, c); err != nil {
		return err
	}
	return lsos.LoadSample(ctx, c, lsos.SampleOptions{Now: sampleNow})
}

// sampleDB returns a fresh copy of the sample database, with extra SQL applied.
func sampleDB(t *testing.T, plant ...string) DB {
	t.Helper()
	db := pgtest.DB(t, "lsos-sample", sampleSetup)
	exec(t, db, plant...)
	return db
}

func exec(t testing.TB, db DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(context.Background(), s); err != nil {
			t.Fatalf("exec %q: %v", s, err)
		}
	}
}

// runChecks runs checks (all when none) with the sample clock and fails on error.
func runChecks(t *testing.T, db DB, p *governance.Policy, checks ...Check) governance.Findings {
	t.Helper()
	rep, err := Run(context.Background(), db, p, Options{Checks: checks, Now: fixedNow})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep.Findings
}

// want asserts exactly one finding of check on object and returns it.
func want(t *testing.T, fs governance.Findings, check, object string) governance.Finding {
	t.Helper()
	var got governance.Findings
	for _, f := range fs.ByCheck(check) {
		if f.Object == object {
			got = append(got, f)
		}
	}
	if len(got) != 1 {
		t.Fatalf("want one %s finding on %s, got %d; all findings:\n%s", check, object, len(got), render(fs))
	}
	return got[0]
}

// none asserts no finding of check.
func none(t *testing.T, fs governance.Findings, check string) {
	t.Helper()
	if got := fs.ByCheck(check); len(got) > 0 {
		t.Fatalf("want no %s finding, got:\n%s", check, render(got))
	}
}

func render(fs governance.Findings) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.String() + "\n")
	}
	return b.String()
}

// wantWith asserts one finding of check on object whose message contains substr.
func wantWith(t *testing.T, fs governance.Findings, check, object, substr string) governance.Finding {
	t.Helper()
	var got governance.Findings
	for _, f := range fs.ByCheck(check) {
		if f.Object == object && strings.Contains(f.Message, substr) {
			got = append(got, f)
		}
	}
	if len(got) != 1 {
		t.Fatalf("want one %s finding on %s saying %q, got %d; all findings:\n%s", check, object, substr, len(got), render(fs))
	}
	return got[0]
}
