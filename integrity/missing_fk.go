package integrity

import (
	"context"
	"fmt"
	"strings"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// MissingFK reports a critical relationship without a validated foreign key. Critical
// relationships are the policy's relationships plus inferred ones: a <name>_id column
// (alone, or with the tenant column) that matches a table <name>s or <name> keyed by id
// (or by (tenant column, id)). Default severity: error.
type MissingFK struct{}

// Name returns "missing-fk".
func (MissingFK) Name() string { return governance.CheckMissingFK }

// Code returns IN101.
func (MissingFK) Code() string { return CodeMissingFK }

// Run reports each critical relationship no validated FK enforces.
func (c MissingFK) Run(ctx context.Context, db DB, p *governance.Policy, env *Env) (governance.Findings, error) {
	env, cat, err := env.prepare(ctx, db, p)
	if err != nil {
		return nil, err
	}
	var out governance.Findings
	for _, r := range criticalRelationships(cat, p, env) {
		var msg string
		switch weak := r.weakLink(); {
		case r.Problem != "":
			out = append(out, policyEntryFinding(p, c.Name(), c.Code(), r.Inherited, r.object(), r.Problem))
			continue
		case r.FK == nil && r.Via == nil:
			msg = fmt.Sprintf("%s relationship %s has no foreign key; add one with ALTER TABLE %s ADD FOREIGN KEY (%s) REFERENCES %s (%s) NOT VALID, then VALIDATE CONSTRAINT",
				r.Source, r.describe(), r.Child.Name.Quoted(), sqlident.QuoteList(r.ChildCols), r.Parent.Name.Quoted(), sqlident.QuoteList(r.ParentCols))
		case weak != nil && r.FK != nil:
			msg = fmt.Sprintf("%s relationship %s is covered only by NOT VALID foreign key %s; fix orphans, then ALTER TABLE %s VALIDATE CONSTRAINT %s",
				r.Source, r.describe(), r.FK.Name, r.Child.Name.Quoted(), sqlident.Quote(r.FK.Name))
		case weak != nil:
			msg = fmt.Sprintf("%s relationship %s is enforced only through the foreign keys %s, including NOT VALID foreign key %s; fix orphans, then ALTER TABLE %s VALIDATE CONSTRAINT %s",
				r.Source, r.describe(), r.describeVia(), weak.FK.Name, weak.Table.Name.Quoted(), sqlident.Quote(weak.FK.Name))
		default:
			continue
		}
		out = append(out, finding(p, c.Name(), c.Code(), governance.SeverityError, r.object(), msg, 0))
	}
	return out, nil
}

// joinCols renders "a, b" for messages.
func joinCols(cols []string) string { return strings.Join(cols, ", ") }
