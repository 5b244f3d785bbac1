package lint

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lsos/lsosgov/internal/sqlident"
)

// DefaultRevisionsSchema is the schema of package migrate's revisions table
// (migrate.DefaultSchema), read when [Options.Target] is set.
const DefaultRevisionsSchema = "lsos_migrate"

// ReadApplied returns when each version was applied on target, read from the revisions
// table that package migrate keeps in schema (`<schema>.revisions`, "" means
// [DefaultRevisionsSchema]). Only rows in state "applied" count; a dirty version is not
// applied. A target without the table has applied nothing and yields an empty map.
func ReadApplied(ctx context.Context, target DB, schema string) (map[string]time.Time, error) {
	if schema == "" {
		schema = DefaultRevisionsSchema
	}
	if err := sqlident.Check(schema); err != nil {
		return nil, fmt.Errorf("review: revisions schema: %w", err)
	}
	table := sqlident.Name{Schema: schema, Name: "revisions"}.Quoted()
	rows, err := target.Query(ctx, `SELECT version, applied_at FROM `+table+` WHERE state = 'applied'`)
	if err != nil {
		if undefinedTable(err) {
			return map[string]time.Time{}, nil
		}
		return nil, fmt.Errorf("review: read the target's revisions (%s): %w", table, err)
	}
	out := map[string]time.Time{}
	var v string
	var at time.Time
	_, err = pgx.ForEachRow(rows, []any{&v, &at}, func() error {
		out[v] = at
		return nil
	})
	if err != nil {
		if undefinedTable(err) {
			return map[string]time.Time{}, nil
		}
		return nil, fmt.Errorf("review: read the target's revisions (%s): %w", table, err)
	}
	return out, nil
}

func undefinedTable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "42P01" || pe.Code == "3F000")
}
