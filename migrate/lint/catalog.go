package lint

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/dbx"
)

// userTables lists the ordinary and partitioned tables of db as schema.table.
func userTables(ctx context.Context, db dbx.DB) (map[string]bool, error) {
	rows, err := db.Query(ctx, `SELECT n.nspname || '.' || c.relname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema')
		  AND n.nspname NOT LIKE 'pg_toast%'`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(names))
	for _, n := range names {
		out[n] = true
	}
	return out, nil
}

// tableStats is what pg_class says about a table's size.
type tableStats struct {
	Rows      int64 // reltuples (estimate; -1 never analysed becomes 0)
	Bytes     int64 // heap size
	KeyWidth  int   // estimated bytes per index entry for the named columns
	Available bool
}

// statsFor reads the size of table and the estimated width of cols from db.
func statsFor(ctx context.Context, db dbx.DB, table string, cols []string) (tableStats, error) {
	schema, rel, _ := strings.Cut(table, ".")
	var st tableStats
	var rows float64
	err := db.QueryRow(ctx, `SELECT greatest(c.reltuples, 0), pg_relation_size(c.oid)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = $2`, schema, rel).Scan(&rows, &st.Bytes)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.Rows, st.Available = int64(rows), true
	if st.Rows == 0 && st.Bytes > 0 {
		// Never analysed: count, as the table is small enough to have no statistics.
		if err := db.QueryRow(ctx, "SELECT count(*) FROM "+quoteQualified(table)).Scan(&st.Rows); err != nil {
			return st, err
		}
	}
	st.KeyWidth = 8 // index tuple header + item pointer
	for _, c := range cols {
		var w int
		err := db.QueryRow(ctx, `SELECT coalesce((SELECT avg_width FROM pg_stats WHERE schemaname=$1 AND tablename=$2 AND attname=$3),
			(SELECT CASE WHEN t.typlen > 0 THEN t.typlen ELSE 32 END FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
			 JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
			 WHERE n.nspname=$1 AND c.relname=$2 AND a.attname=$3), 32)`, schema, rel, c).Scan(&w)
		if err != nil {
			return st, err
		}
		st.KeyWidth += w
	}
	return st, nil
}

// quoteQualified quotes "schema.table" for SQL.
func quoteQualified(q string) string {
	s, t, _ := strings.Cut(q, ".")
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"."` + strings.ReplaceAll(t, `"`, `""`) + `"`
}

// columnType returns format_type of table.column ("" when absent).
func columnType(ctx context.Context, db dbx.DB, table, col string) (string, error) {
	schema, rel, _ := strings.Cut(table, ".")
	var t string
	err := db.QueryRow(ctx, `SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
		JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname=$1 AND c.relname=$2 AND a.attname=$3 AND a.attnum > 0 AND NOT a.attisdropped`, schema, rel, col).Scan(&t)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return t, err
}

// columnComment returns the comment of table.column ("" when none).
func columnComment(ctx context.Context, db dbx.DB, table, col string) (string, error) {
	schema, rel, _ := strings.Cut(table, ".")
	var c *string
	err := db.QueryRow(ctx, `SELECT col_description(c.oid, a.attnum) FROM pg_attribute a
		JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname=$1 AND c.relname=$2 AND a.attname=$3 AND a.attnum > 0 AND NOT a.attisdropped`, schema, rel, col).Scan(&c)
	if errors.Is(err, pgx.ErrNoRows) || c == nil {
		return "", nil
	}
	return *c, err
}

// columnsOf lists the live columns of table with their types.
func columnsOf(ctx context.Context, db dbx.DB, table string) ([][2]string, error) {
	schema, rel, _ := strings.Cut(table, ".")
	rows, err := db.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
		JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname=$1 AND c.relname=$2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, schema, rel)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var p [2]string
		err := r.Scan(&p[0], &p[1])
		return p, err
	})
}

var notNullCheckRe = regexp.MustCompile(`^CHECK \(\(("?)([^"]+)("?) IS NOT NULL\)\)$`)

// hasValidatedNotNullCheck reports whether a validated CHECK (col IS NOT NULL) exists,
// which lets SET NOT NULL skip its full-table scan (PostgreSQL 12+).
func hasValidatedNotNullCheck(ctx context.Context, db dbx.DB, table, col string) (bool, error) {
	schema, rel, _ := strings.Cut(table, ".")
	rows, err := db.Query(ctx, `SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname=$1 AND c.relname=$2 AND k.contype='c' AND k.convalidated`, schema, rel)
	if err != nil {
		return false, err
	}
	defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return false, err
	}
	for _, d := range defs {
		if m := notNullCheckRe.FindStringSubmatch(d); m != nil && m[2] == col {
			return true, nil
		}
	}
	return false, nil
}

// indexTable returns the table an index belongs to ("" when the index is unknown).
func indexTable(ctx context.Context, db dbx.DB, index string) (table string, cols []string, err error) {
	schema, rel, _ := strings.Cut(index, ".")
	err = db.QueryRow(ctx, `SELECT tn.nspname || '.' || t.relname,
		array(SELECT a.attname FROM unnest(i.indkey) k JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k)
		FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
		JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
		WHERE n.nspname=$1 AND ic.relname=$2`, schema, rel).Scan(&table, &cols)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, nil
	}
	return table, cols, err
}

// isVolatile reports whether any of the named functions is volatile in db.
func isVolatile(ctx context.Context, db dbx.DB, names []string) (bool, error) {
	if len(names) == 0 {
		return false, nil
	}
	var v bool
	err := db.QueryRow(ctx, `SELECT coalesce(bool_or(provolatile = 'v'), false) FROM pg_proc WHERE proname = ANY($1)`, names).Scan(&v)
	return v, err
}

// structural is a finding that follows from a table's shape after a migration; the
// review reports the ones a file introduces (present after, absent before).
type structural struct {
	Check, Code, Object, Message string
	Key                          string // identity for the before/after comparison
}

// tableShape lists the tenant-isolation and FK-index problems of table.
func tableShape(ctx context.Context, db dbx.DB, p *governance.Policy, table string) ([]structural, error) {
	schema, rel, _ := strings.Cut(table, ".")
	var oid uint32
	var rls, isPart bool
	err := db.QueryRow(ctx, `SELECT c.oid, c.relrowsecurity, c.relispartition FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname=$1 AND c.relname=$2 AND c.relkind IN ('r','p')`, schema, rel).Scan(&oid, &rls, &isPart)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if isPart {
		return nil, nil // partitions inherit their parent's shape
	}
	var out []structural
	tcol := p.Tenant.Column
	tenantOwned := !p.IsGlobalTable(rel)
	if tenantOwned {
		var notNull *bool
		err := db.QueryRow(ctx, `SELECT (SELECT attnotnull FROM pg_attribute WHERE attrelid=$1 AND attname=$2 AND NOT attisdropped)`, oid, tcol).Scan(&notNull)
		if err != nil {
			return nil, err
		}
		switch {
		case notNull == nil:
			out = append(out, structural{governance.CheckTenantIsolation, "TI101", table,
				fmt.Sprintf("tenant-owned table has no %s column; add %s NOT NULL referencing %s, or list the table under tenant.global_tables if it is a lookup table", tcol, tcol, p.Tenant.Table), "TI101"})
		case !*notNull:
			out = append(out, structural{governance.CheckTenantIsolation, "TI102", table + "." + tcol,
				fmt.Sprintf("tenant column %s is nullable; a row without a tenant escapes tenant isolation: declare it NOT NULL", tcol), "TI102"})
		}
		if p.Tenant.RequireRLS && !rls {
			out = append(out, structural{governance.CheckTenantIsolation, "TI105", table,
				"the policy requires row-level security on tenant-owned tables: ALTER TABLE … ENABLE ROW LEVEL SECURITY and add a tenant policy", "TI105"})
		}
		// Unique indexes (primary keys exempt: a surrogate id is unique by construction).
		rows, err := db.Query(ctx, `SELECT ic.relname, array(SELECT coalesce(a.attname, '(expression)') FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
				LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o)
			FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
			WHERE i.indrelid = $1 AND i.indisunique AND NOT i.indisprimary`, oid)
		if err != nil {
			return nil, err
		}
		type ux struct {
			name string
			cols []string
		}
		uxs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ux, error) {
			var u ux
			err := r.Scan(&u.name, &u.cols)
			return u, err
		})
		if err != nil {
			return nil, err
		}
		for _, u := range uxs {
			if slices.Contains(u.cols, tcol) || globalKey(p, rel, u.cols) {
				continue
			}
			out = append(out, structural{governance.CheckTenantIsolation, "TI103", table + ".(" + strings.Join(u.cols, ",") + ")",
				fmt.Sprintf("unique index %s on (%s) does not include %s: two tenants could not hold the same value; add %s as the first key column, or list the key under tenant.global_keys",
					u.name, strings.Join(u.cols, ", "), tcol, tcol), "TI103:" + u.name})
		}
	}
	// Foreign keys: tenant scoping and a supporting index.
	rows, err := db.Query(ctx, `SELECT k.conname, rn.nspname || '.' || r.relname,
			array(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY x(n, o) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.n ORDER BY x.o),
			EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = k.conrelid
				AND (i.indkey::int2[])[0:cardinality(k.conkey)-1] @> k.conkey AND (i.indkey::int2[])[0:cardinality(k.conkey)-1] <@ k.conkey)
		FROM pg_constraint k JOIN pg_class r ON r.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
		WHERE k.conrelid = $1 AND k.contype = 'f' ORDER BY k.conname`, oid)
	if err != nil {
		return nil, err
	}
	type fk struct {
		name, ref string
		cols      []string
		indexed   bool
	}
	fks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fk, error) {
		var f fk
		err := r.Scan(&f.name, &f.ref, &f.cols, &f.indexed)
		return f, err
	})
	if err != nil {
		return nil, err
	}
	for _, f := range fks {
		_, refRel, _ := strings.Cut(f.ref, ".")
		if tenantOwned && !p.IsGlobalTable(refRel) && !slices.Contains(f.cols, tcol) {
			out = append(out, structural{governance.CheckTenantIsolation, "TI104", table + ".(" + strings.Join(f.cols, ",") + ")",
				fmt.Sprintf("foreign key %s references tenant-owned %s without %s: a row could point at another tenant's row; use a composite key (%s, …) referencing (%s, id)",
					f.name, f.ref, tcol, tcol, tcol), "TI104:" + f.name})
		}
		if !f.indexed {
			out = append(out, structural{governance.CheckIndexImpact, "II103", table + ".(" + strings.Join(f.cols, ",") + ")",
				fmt.Sprintf("foreign key %s has no index starting with (%s): deletes and updates on %s scan %s; add one (CONCURRENTLY on an existing table)",
					f.name, strings.Join(f.cols, ", "), f.ref, table), "II103:" + f.name})
		}
	}
	return out, nil
}

// globalKey reports whether the policy lists rel's key cols as a global unique key.
func globalKey(p *governance.Policy, rel string, cols []string) bool {
	for _, g := range p.Tenant.GlobalKeys {
		i := strings.LastIndexByte(g, '.')
		if i <= 0 {
			continue
		}
		t, c := g[:i], g[i+1:]
		if j := strings.LastIndexByte(t, '.'); j >= 0 { // schema.table.column
			t = t[j+1:]
		}
		if t != rel {
			continue
		}
		c = strings.Trim(c, "()")
		var want []string
		for _, x := range strings.Split(c, ",") {
			want = append(want, strings.TrimSpace(x))
		}
		a, b := slices.Clone(want), slices.Clone(cols)
		slices.Sort(a)
		slices.Sort(b)
		if slices.Equal(a, b) {
			return true
		}
	}
	return false
}
