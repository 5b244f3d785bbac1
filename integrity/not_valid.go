package integrity

import (
	"context"
	"fmt"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// NotValidConstraint reports a foreign key or check constraint left NOT VALID: added
// without checking existing rows (the expand step of a zero-downtime migration) and
// never validated, so old rows may violate it. Default severity: warning.
type NotValidConstraint struct{}

// Name returns "not-valid-constraint".
func (NotValidConstraint) Name() string { return governance.CheckNotValidConstraint }

// Code returns IN108.
func (NotValidConstraint) Code() string { return CodeNotValidConstraint }

// Run checks every selected table and partition.
func (c NotValidConstraint) Run(ctx context.Context, db DB, p *governance.Policy, env *Env) (governance.Findings, error) {
	env, cat, err := env.prepare(ctx, db, p)
	if err != nil {
		return nil, err
	}
	var out governance.Findings
	for _, t := range env.selectedTables(cat) {
		for _, con := range t.Constraints {
			if con.Validated || con.Inherited {
				continue
			}
			kind := map[string]string{"f": "foreign key", "c": "check constraint"}[con.Type]
			out = append(out, finding(p, c.Name(), c.Code(), governance.SeverityWarning, t.Name.String(), fmt.Sprintf(
				"%s %s is NOT VALID, so existing rows were never checked against it; fix violating rows, then ALTER TABLE %s VALIDATE CONSTRAINT %s",
				kind, con.Name, t.Name.Quoted(), sqlident.Quote(con.Name)), 0))
		}
	}
	return out, nil
}
