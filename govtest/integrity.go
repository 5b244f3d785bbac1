package govtest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/integrity"
)

// RequireNoFindings runs the integrity checks (all of them when none are given) against
// db under policy p (the default policy when nil) and fails t, listing every finding
// grouped by check, when any check finds anything or cannot run. Checks that depend on
// the clock take it from the check value, e.g. integrity.MissingPartition{Now: …}.
func RequireNoFindings(t testing.TB, db integrity.DB, p *governance.Policy, checks ...integrity.Check) {
	t.Helper()
	if p == nil {
		p = governance.Default()
	}
	rep, err := integrity.Run(context.Background(), db, p, integrity.Options{Checks: checks})
	if err != nil {
		t.Fatalf("govtest: integrity checks could not run: %v", err)
		return
	}
	if len(rep.Findings) > 0 {
		t.Fatalf("govtest: integrity checks found %d problem(s):\n%s", len(rep.Findings), FormatFindings(rep.Findings))
	}
}

// FormatFindings renders findings for a test failure: grouped by check, one block per
// finding with severity, code, object and message.
func FormatFindings(fs governance.Findings) string {
	fs = append(governance.Findings(nil), fs...)
	fs.Sort()
	var order []string
	byCheck := map[string]governance.Findings{}
	for _, f := range fs {
		if _, ok := byCheck[f.Check]; !ok {
			order = append(order, f.Check)
		}
		byCheck[f.Check] = append(byCheck[f.Check], f)
	}
	var b strings.Builder
	for _, c := range order {
		fmt.Fprintf(&b, "  %s (%d):\n", c, len(byCheck[c]))
		for _, f := range byCheck[c] {
			count := ""
			if f.Count > 0 {
				count = fmt.Sprintf(" ×%d", f.Count)
			}
			fmt.Fprintf(&b, "    %-7s %s %s%s\n            %s\n", f.Severity, f.Code, f.Object, count, f.Message)
		}
	}
	return b.String()
}
