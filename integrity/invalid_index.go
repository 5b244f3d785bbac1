package integrity

import (
	"context"
	"fmt"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// InvalidIndex reports an index marked invalid, typically left by a failed CREATE INDEX
// CONCURRENTLY (or a partitioned index with a partition not yet attached): the planner
// ignores it but every write still maintains it, and an invalid unique index enforces
// nothing. Default severity: error.
type InvalidIndex struct{}

// Name returns "invalid-index".
func (InvalidIndex) Name() string { return governance.CheckInvalidIndex }

// Code returns IN109.
func (InvalidIndex) Code() string { return CodeInvalidIndex }

// Run checks every selected table and partition.
func (c InvalidIndex) Run(ctx context.Context, db DB, p *governance.Policy, env *Env) (governance.Findings, error) {
	env, cat, err := env.prepare(ctx, db, p)
	if err != nil {
		return nil, err
	}
	var out governance.Findings
	for _, t := range env.selectedTables(cat) {
		for _, ix := range t.Indexes {
			if ix.Valid {
				continue
			}
			fix := fmt.Sprintf("DROP INDEX CONCURRENTLY %s and build it again", sqlident.Name{Schema: t.Name.Schema, Name: ix.Name}.Quoted())
			if t.Partitioned {
				fix = "create the index on every partition and ALTER INDEX … ATTACH PARTITION it"
			}
			out = append(out, finding(p, c.Name(), c.Code(), governance.SeverityError, t.Name.String(), fmt.Sprintf(
				"index %s on %s (%s) is invalid: queries cannot use it but writes still maintain it; %s",
				ix.Name, t.Name, joinCols(ix.Columns), fix), 0))
		}
	}
	return out, nil
}
