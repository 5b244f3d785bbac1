package classify

import (
	"context"
	"fmt"

	"github.com/lsos/lsosgov/internal/sqlident"
)

// annotateSQL reads the current comment of one column, so Annotate edits what is in the
// database now rather than what the catalog saw.
const annotateSQL = `
SELECT coalesce(col_description(c.oid, a.attnum), '')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $3 AND NOT a.attisdropped
WHERE n.nspname = $1 AND c.relname = $2`

// Annotate writes each settled column's class into its comment as an lsos:class tag, so
// the classification lives with the schema and survives dumps and restores. Existing
// comment text is kept; an older tag is replaced. Columns no source settled are skipped:
// writing the default would hide them from review. It returns the number of comments
// written (unchanged comments are not rewritten). Pass a transaction as db to make the
// whole write atomic.
func Annotate(ctx context.Context, db DB, cat *Catalog) (int, error) {
	if cat == nil {
		return 0, fmt.Errorf("%w: catalog is nil; run Classify first", ErrOptions)
	}
	written := 0
	for _, c := range cat.Columns {
		if !c.Settled {
			continue
		}
		name := splitQualified(c.Table)
		var old string
		if err := db.QueryRow(ctx, annotateSQL, name.Schema, name.Name, c.Column).Scan(&old); err != nil {
			return written, &Error{Op: "annotate", Object: c.Object(), Err: fmt.Errorf("read comment (does the column still exist?): %w", err)}
		}
		next := WithAnnotation(old, c.Class)
		if next == old {
			continue
		}
		q := fmt.Sprintf("COMMENT ON COLUMN %s.%s IS %s", name.Quoted(), sqlident.Quote(c.Column), sqlident.QuoteLiteral(next))
		if _, err := db.Exec(ctx, q); err != nil {
			return written, &Error{Op: "annotate", Object: c.Object(), Err: redactDBError(err)}
		}
		written++
	}
	return written, nil
}

// splitQualified splits a catalog's "schema.table" at the first dot. Catalog names are
// the exact names from pg_class, not SQL text, so they are not case-folded or unquoted.
func splitQualified(s string) sqlident.Name {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return sqlident.Name{Schema: s[:i], Name: s[i+1:]}
		}
	}
	return sqlident.Name{Schema: "public", Name: s}
}
