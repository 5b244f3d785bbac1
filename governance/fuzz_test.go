package governance

import (
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary documents to the policy parser: it must return a policy or
// a *PolicyError (or a plain decode error), never panic, and a returned policy validates.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "tenant: {column: tenant_id}\n", "retention:\n  - category: audit\n    tables: [audit_log]\n    keep: 12 months\n",
		`{"tenant":{"table":"accounts"}}`, "classes: {columns: {users.email: sensitive}}\n", "deprecation_window: 30 days\n",
		"snapshots: [{table: t, key: []}]\n", "foo: [\n", "- 1\n", "migrations: {maintenance_windows: ['Sun 02:00-04:00 UTC']}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			var pe *PolicyError
			if !errors.As(err, &pe) || len(pe.Problems) == 0 || pe.Error() == "" {
				t.Fatalf("error without problems: %T %v", err, err)
			}
			return
		}
		if verr := p.Validate(); verr != nil {
			t.Fatalf("Parse returned a policy that does not validate: %v", verr)
		}
	})
}
