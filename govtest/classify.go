package govtest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/classify"
	"github.com/lsos/lsosgov/governance"
)

// RequireAllClassified classifies the database under policy p (nil: the built-in
// policy) and fails the test listing every column no source settled, with the fix: add
// the column to the policy's classes.columns or tag its comment with lsos:class=<class>.
func RequireAllClassified(t testing.TB, db classify.DB, p *governance.Policy) *classify.Catalog {
	t.Helper()
	if p == nil {
		p = governance.Default()
	}
	cat, err := classify.Classify(context.Background(), db, p, classify.Options{})
	if err != nil {
		t.Fatalf("govtest: classify: %v", err)
	}
	if un := cat.Unclassified(); len(un) > 0 {
		var b strings.Builder
		for _, c := range un {
			fmt.Fprintf(&b, "\n  %s (%s): %s", c.Object(), c.Type, c.Reason)
		}
		t.Fatalf("govtest: %d unclassified column(s); add each to the policy's classes.columns or COMMENT ON COLUMN … '%s<class>':%s",
			len(un), classify.TagPrefix, b.String())
	}
	return cat
}

// RequireClass fails the test unless the column ref ("table.column" or
// "schema.table.column") is classified as want under the built-in policy.
func RequireClass(t testing.TB, db classify.DB, ref string, want governance.Class) {
	t.Helper()
	RequireClassUnder(t, db, governance.Default(), ref, want)
}

// RequireClassUnder is RequireClass under policy p.
func RequireClassUnder(t testing.TB, db classify.DB, p *governance.Policy, ref string, want governance.Class) {
	t.Helper()
	cat, err := classify.Classify(context.Background(), db, p, classify.Options{})
	if err != nil {
		t.Fatalf("govtest: classify: %v", err)
	}
	c, ok := cat.Column(ref)
	if !ok {
		t.Fatalf("govtest: column %s not found (write table.column or schema.table.column)", ref)
	}
	if c.Class != want {
		t.Fatalf("govtest: %s is %s (source %s: %s), want %s", c.Object(), c.Class, c.Source, c.Reason, want)
	}
}
