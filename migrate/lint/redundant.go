package lint

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/dbx"
)

// indexInfo is what the redundancy check needs to know about one index, from pg_index.
type indexInfo struct {
	oid        uint32
	name       string
	method     string
	unique     bool
	constraint bool // backs a PRIMARY KEY, UNIQUE or EXCLUDE constraint
	pred       string
	exprs      bool
	include    bool // has INCLUDE (non-key) columns
	valid      bool
	attached   bool // a partition's index attached to its parent's index: only the parent's can be dropped
	keys       []int16
	class      []uint32
	option     []int16
	collation  []uint32
	cols       []string
}

// indexesOf lists the indexes of table (schema.table) in db; none when it does not exist.
func indexesOf(ctx context.Context, db dbx.DB, table string) ([]indexInfo, error) {
	rows, err := db.Query(ctx, `SELECT ic.oid, ic.relname, am.amname, i.indisunique,
			EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid),
			coalesce(pg_get_expr(i.indpred, i.indrelid), ''), i.indexprs IS NOT NULL, i.indnatts > i.indnkeyatts, i.indisvalid,
			ic.relispartition,
			(i.indkey::int2[])[0:i.indnkeyatts-1], (i.indclass::oid[])[0:i.indnkeyatts-1], (i.indoption::int2[])[0:i.indnkeyatts-1],
			(i.indcollation::oid[])[0:i.indnkeyatts-1],
			array(SELECT coalesce(a.attname, '(expression)') FROM unnest((i.indkey::int2[])[0:i.indnkeyatts-1]) WITH ORDINALITY k(n, o)
				LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o)
		FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
		WHERE i.indrelid = to_regclass($1) ORDER BY ic.relname`, quoteQualified(table))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (indexInfo, error) {
		var x indexInfo
		err := r.Scan(&x.oid, &x.name, &x.method, &x.unique, &x.constraint, &x.pred, &x.exprs, &x.include, &x.valid,
			&x.attached, &x.keys, &x.class, &x.option, &x.collation, &x.cols)
		return x, err
	})
}

// coveredBy reports whether every lookup index a can serve, b serves as well: same
// method, predicate and no expressions, and a's key columns (with their operator classes,
// sort options and collations) are a leading prefix of b's (for a method other than
// B-tree, equal).
func (a indexInfo) coveredBy(b indexInfo) bool {
	if !a.valid || !b.valid || a.method != b.method || a.pred != b.pred || a.exprs || b.exprs {
		return false
	}
	n := len(a.keys)
	if n == 0 || n > len(b.keys) || (a.method != "btree" && n != len(b.keys)) {
		return false
	}
	return slices.Equal(a.keys, b.keys[:n]) && slices.Equal(a.class, b.class[:n]) && slices.Equal(a.option, b.option[:n]) &&
		slices.Equal(a.collation, b.collation[:n])
}

// droppable reports whether an index could be dropped without losing anything but lookup
// speed: not unique (a unique or primary key index enforces a rule, it is never
// redundant), not backing a constraint, without INCLUDE columns, and not a partition's
// index attached to its parent's (PostgreSQL refuses to drop that one alone).
func (a indexInfo) droppable() bool { return !a.unique && !a.constraint && !a.include && !a.attached }

// indexStatement reports whether a statement may add an index to an existing table, so
// the redundancy check snapshots the table's indexes around it.
func indexStatement(n *pg.Node) string {
	switch {
	case n.GetIndexStmt() != nil:
		return qname(n.GetIndexStmt().Relation)
	case n.GetAlterTableStmt() != nil && n.GetAlterTableStmt().Objtype == pg.ObjectType_OBJECT_TABLE:
		for _, c := range n.GetAlterTableStmt().Cmds {
			if ac := c.GetAlterTableCmd(); ac != nil && (ac.Subtype == pg.AlterTableType_AT_AddConstraint || ac.Subtype == pg.AlterTableType_AT_AddColumn) {
				return qname(n.GetAlterTableStmt().Relation)
			}
		}
	}
	return ""
}

// redundancyBefore snapshots the indexes of the table a statement may index.
func (r *reviewer) redundancyBefore(ctx context.Context, fc *fileCtx, s stmt) ([]indexInfo, string, error) {
	t := indexStatement(s.Node)
	if t == "" || !fc.pre[t] && !fc.created[t] {
		return nil, "", nil
	}
	t0 := time.Now()
	before, err := indexesOf(ctx, r.dev, t)
	r.devTime += time.Since(t0)
	return before, t, err
}

// redundancyAfter compares each index the statement added with the indexes that existed
// before it: II104 when a new index makes an existing one redundant, II105 when the new
// index is itself redundant with an existing one (index-impact, policy §2).
func (r *reviewer) redundancyAfter(ctx context.Context, fc *fileCtx, table string, before []indexInfo) error {
	t0 := time.Now()
	after, err := indexesOf(ctx, r.dev, table)
	r.devTime += time.Since(t0)
	if err != nil {
		return err
	}
	schema, _, _ := strings.Cut(table, ".")
	for _, n := range after {
		if slices.ContainsFunc(before, func(b indexInfo) bool { return b.oid == n.oid }) {
			continue
		}
		reported := false
		for _, e := range before {
			if n.droppable() && n.coveredBy(e) {
				r.add(fc.f, fc.cur, fc.line, governance.CheckIndexImpact, "II105", table,
					fmt.Sprintf("new index %s on %s (%s) is redundant with existing index %s (%s), which already serves every lookup it can: drop %s from the migration (do not create it)",
						n.name, table, strings.Join(n.cols, ", "), e.name, strings.Join(e.cols, ", "), n.name))
				reported = true
				break
			}
		}
		if reported {
			continue
		}
		for _, e := range before {
			if e.droppable() && e.coveredBy(n) {
				r.add(fc.f, fc.cur, fc.line, governance.CheckIndexImpact, "II104", table,
					fmt.Sprintf("new index %s on %s (%s) makes existing index %s (%s) redundant: once %s is built, drop %s in a later version (DROP INDEX CONCURRENTLY %s.%s in a -- lsos:no-transaction version)",
						n.name, table, strings.Join(n.cols, ", "), e.name, strings.Join(e.cols, ", "), n.name, e.name, schema, e.name))
			}
		}
	}
	return nil
}
