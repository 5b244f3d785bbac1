package integrity

import (
	"context"
	"fmt"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// FKMissingIndex reports a foreign key whose columns are not the leading columns (in
// any order) of a valid, non-partial index on the referencing table. Without one, every
// delete or key update on the parent scans the child, and orphan checks cannot use an
// index. Default severity: warning.
type FKMissingIndex struct{}

// Name returns "fk-missing-index".
func (FKMissingIndex) Name() string { return governance.CheckFKMissingIndex }

// Code returns IN107.
func (FKMissingIndex) Code() string { return CodeFKMissingIndex }

// Run checks the FKs of every selected table.
func (c FKMissingIndex) Run(ctx context.Context, db DB, p *governance.Policy, env *Env) (governance.Findings, error) {
	env, cat, err := env.prepare(ctx, db, p)
	if err != nil {
		return nil, err
	}
	var out governance.Findings
	for _, t := range env.checkedTables(cat) {
		for _, fk := range t.ForeignKeys() {
			if leadingIndex(t, fk.Columns) {
				continue
			}
			out = append(out, finding(p, c.Name(), c.Code(), governance.SeverityWarning, colObject(t, fk.Columns), fmt.Sprintf(
				"foreign key %s (%s) has no index leading with its columns; CREATE INDEX CONCURRENTLY ON %s (%s)",
				fk.Name, joinCols(fk.Columns), t.Name.Quoted(), sqlident.QuoteList(fk.Columns)), 0))
		}
	}
	return out, nil
}

// leadingIndex reports whether a valid, non-partial index of t starts with cols.
func leadingIndex(t *Table, cols []string) bool {
	for _, ix := range t.Indexes {
		if ix.Valid && !ix.Partial && len(ix.Columns) >= len(cols) && sameSet(ix.Columns[:len(cols)], cols) {
			return true
		}
	}
	return false
}
