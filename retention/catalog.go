package retention

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/softdelete"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// TableCatalog is the part of the database retention needs: user tables with their
// partitions, time column, class, retention category, tenant column and foreign keys.
// [Catalog] builds it from pg_catalog; tests may build one by hand for [Cutoffs].
type TableCatalog struct {
	Tables []Table
	// TenantTable is the root tenants table (policy tenant.table), when present.
	TenantTable *Table
	// TenantKey is the root table's primary-key column (the tenant id).
	TenantKey string
	// TenantType is the SQL type of tenant ids (format_type), used to cast the text ids
	// this package passes as parameters.
	TenantType string
}

// Table is one top-level table (partitions are listed under their parent).
type Table struct {
	Name        governance.QualifiedName
	Partitioned bool
	// TimeColumn is the column whose age decides retention: the rule's time_column, else
	// the partition key, else the first NOT NULL date/timestamp column (preferring event
	// columns over created_at/updated_at). Empty when none exists.
	TimeColumn string
	TimeType   string // format_type of TimeColumn
	// Class is the table's data class when the policy or a lsos:class comment sets one.
	Class governance.Class
	// Category is the retention category ("" when no rule covers the table and none can
	// be inferred); CategorySource says how it was found: "rule", "class" or "name".
	Category       governance.Category
	CategorySource string
	// TenantColumn is the policy's tenant column when the table has it.
	TenantColumn string
	// Root marks the tenants table itself; Global marks a policy global (lookup) table.
	Root, Global bool
	HasData      bool
	RowEstimate  int64 // pg_class.reltuples summed over partitions; -1 when never analysed
	Partitions   []Partition
	Leaves       []governance.QualifiedName // leaf relations (the table itself when unpartitioned)
	ForeignKeys  []ForeignKey
	PrimaryKey   []string
	Columns      []string
}

// HasColumn reports whether the table has column c.
func (t *Table) HasColumn(c string) bool { return slices.Contains(t.Columns, c) }

// Partition is one direct partition of a range-partitioned table.
type Partition struct {
	Name governance.QualifiedName
	// Bound is pg_get_expr(relpartbound): "FOR VALUES FROM ('2025-10-01') TO ('2025-11-01')".
	Bound string
	// From and To are the range bounds as SQL literals ("" for MINVALUE/MAXVALUE, or when
	// the partition is not a single-column range partition).
	From, To     string
	Default      bool
	RowEstimate  int64
	PartitionKey string
}

// ForeignKey is a reference from this table to Parent.
type ForeignKey struct {
	Name    string
	Columns []string
	Parent  governance.QualifiedName
	RefCols []string
}

// Key returns "schema.table".
func (t *Table) Key() string { return t.Name.String() }

// Find returns the table named name ("table" or "schema.table"; unqualified names
// match any schema, first in order). name follows SQL rules: unquoted parts fold to
// lower case, so a name that needs quotes must be quoted (`public."Mixed Case"`); code
// holding a [governance.QualifiedName] uses [TableCatalog.FindName].
func (c *TableCatalog) Find(name string) (*Table, bool) {
	n, err := sqlident.Parse(name, "")
	if err != nil {
		return nil, false
	}
	for i := range c.Tables {
		t := &c.Tables[i]
		if t.Name.Name == n.Name && (n.Schema == "" || n.Schema == t.Name.Schema) {
			return t, true
		}
	}
	return nil, false
}

// FindName returns the table whose name is exactly n (no case folding, no parsing): the
// lookup for names taken from the catalog itself, which may need quotes.
func (c *TableCatalog) FindName(n governance.QualifiedName) (*Table, bool) {
	for i := range c.Tables {
		if t := &c.Tables[i]; t.Name == n {
			return t, true
		}
	}
	return nil, false
}

// Catalog reads the user tables of db (every schema except system schemas and the
// SDK's own schemas: those of [governance.Policy.IsSDKSchema] and the ones this SDK
// creates under its default prefix, lsos_retention and the like; their tables are
// bookkeeping, not tenant data) and settles each one's time column, class and retention category from
// policy p.
func Catalog(ctx context.Context, db DB, p *governance.Policy) (*TableCatalog, error) {
	if p == nil {
		return nil, fmt.Errorf("retention: catalog: nil policy (pass governance.Default() or a loaded policy)")
	}
	rows, err := db.Query(ctx, `
		SELECT c.oid::int8, n.nspname, c.relname, c.relkind = 'p', c.reltuples::int8,
		       coalesce(obj_description(c.oid, 'pg_class'), '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
		  -- An extension's own tables (pg_partman's part_config, …) are its business.
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
		ORDER BY n.nspname, c.relname`)
	if err != nil {
		return nil, fmt.Errorf("retention: read tables: %w", err)
	}
	type raw struct {
		oid     int64
		comment string
	}
	cat := &TableCatalog{}
	var raws []raw
	for rows.Next() {
		var t Table
		var r raw
		if err := rows.Scan(&r.oid, &t.Name.Schema, &t.Name.Name, &t.Partitioned, &t.RowEstimate, &r.comment); err != nil {
			rows.Close()
			return nil, fmt.Errorf("retention: read tables: %w", err)
		}
		if softdelete.IsSDKSchema(p, t.Name.Schema) {
			continue
		}
		cat.Tables = append(cat.Tables, t)
		raws = append(raws, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("retention: read tables: %w", err)
	}
	byOID := map[int64]int{}
	for i, r := range raws {
		byOID[r.oid] = i
	}
	cols, err := readColumns(ctx, db, byOID)
	if err != nil {
		return nil, err
	}
	if err := readPartitions(ctx, db, cat, byOID); err != nil {
		return nil, err
	}
	if err := readConstraints(ctx, db, cat, byOID); err != nil {
		return nil, err
	}
	for i := range cat.Tables {
		t := &cat.Tables[i]
		c := cols[i]
		settleTable(p, t, c, raws[i].comment)
		if err := db.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+t.Name.Quoted()+")").Scan(&t.HasData); err != nil {
			return nil, fmt.Errorf("retention: probe %s: %w", t.Key(), err)
		}
		if t.Root {
			cat.TenantTable = t
			if len(t.PrimaryKey) == 1 {
				cat.TenantKey = t.PrimaryKey[0]
				cat.TenantType = typeOf(c, t.PrimaryKey[0])
			}
		}
	}
	if cat.TenantType == "" {
		for i := range cat.Tables {
			if cc := cat.Tables[i].TenantColumn; cc != "" {
				cat.TenantType = typeOf(cols[i], cc)
				break
			}
		}
	}
	if cat.TenantType == "" {
		cat.TenantType = "text"
	}
	return cat, nil
}

type column struct {
	name, typ string
	notNull   bool
}

func typeOf(cols []column, name string) string {
	for _, c := range cols {
		if c.name == name {
			return c.typ
		}
	}
	return ""
}

func readColumns(ctx context.Context, db DB, byOID map[int64]int) (map[int][]column, error) {
	oids := make([]int64, 0, len(byOID))
	for o := range byOID {
		oids = append(oids, o)
	}
	rows, err := db.Query(ctx, `
		SELECT attrelid::int8, attname, format_type(atttypid, atttypmod), attnotnull
		FROM pg_attribute WHERE attrelid = ANY($1::int8[]::oid[]) AND attnum > 0 AND NOT attisdropped
		ORDER BY attrelid, attnum`, oids)
	if err != nil {
		return nil, fmt.Errorf("retention: read columns: %w", err)
	}
	defer rows.Close()
	out := map[int][]column{}
	for rows.Next() {
		var oid int64
		var c column
		if err := rows.Scan(&oid, &c.name, &c.typ, &c.notNull); err != nil {
			return nil, fmt.Errorf("retention: read columns: %w", err)
		}
		out[byOID[oid]] = append(out[byOID[oid]], c)
	}
	return out, rows.Err()
}

func readPartitions(ctx context.Context, db DB, cat *TableCatalog, byOID map[int64]int) error {
	// Partition keys: single plain columns only; an expression key (attnum 0) leaves
	// PartitionKey empty and every partition blocked with a reason.
	rows, err := db.Query(ctx, `
		SELECT pt.partrelid::int8, pt.partstrat::text,
		       coalesce((SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY k(attnum, ord)
		                 JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = k.attnum), '{}'),
		       array_length(pt.partattrs::int2[], 1)
		FROM pg_partitioned_table pt`)
	if err != nil {
		return fmt.Errorf("retention: read partition keys: %w", err)
	}
	type key struct {
		strat string
		cols  []string
		n     int
	}
	keys := map[int]key{}
	for rows.Next() {
		var oid int64
		var k key
		if err := rows.Scan(&oid, &k.strat, &k.cols, &k.n); err != nil {
			rows.Close()
			return fmt.Errorf("retention: read partition keys: %w", err)
		}
		if i, ok := byOID[oid]; ok {
			keys[i] = k
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("retention: read partition keys: %w", err)
	}
	for i := range cat.Tables {
		t := &cat.Tables[i]
		if !t.Partitioned {
			t.Leaves = []governance.QualifiedName{t.Name}
			continue
		}
		k := keys[i]
		pkey := ""
		if k.strat == "r" && k.n == 1 && len(k.cols) == 1 {
			pkey = k.cols[0]
		}
		prow, err := db.Query(ctx, `
			SELECT n.nspname, c.relname, coalesce(pg_get_expr(c.relpartbound, c.oid), ''), c.reltuples::int8, pt.level, pt.isleaf
			FROM pg_partition_tree($1::regclass) pt
			JOIN pg_class c ON c.oid = pt.relid JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE pt.level > 0
			ORDER BY pt.level, c.relname`, t.Name.Quoted())
		if err != nil {
			return fmt.Errorf("retention: read partitions of %s: %w", t.Key(), err)
		}
		var est int64
		for prow.Next() {
			var pn governance.QualifiedName
			var bound string
			var tuples int64
			var level int
			var leaf bool
			if err := prow.Scan(&pn.Schema, &pn.Name, &bound, &tuples, &level, &leaf); err != nil {
				prow.Close()
				return fmt.Errorf("retention: read partitions of %s: %w", t.Key(), err)
			}
			if leaf {
				t.Leaves = append(t.Leaves, pn)
				if tuples > 0 {
					est += tuples
				}
			}
			if level != 1 {
				continue
			}
			part := Partition{Name: pn, Bound: bound, RowEstimate: tuples, PartitionKey: pkey}
			if bound == "DEFAULT" {
				part.Default = true
			} else if pkey != "" {
				part.From, part.To = parseRangeBound(bound)
			}
			t.Partitions = append(t.Partitions, part)
		}
		prow.Close()
		if err := prow.Err(); err != nil {
			return fmt.Errorf("retention: read partitions of %s: %w", t.Key(), err)
		}
		if t.RowEstimate < 0 || est > 0 {
			t.RowEstimate = est
		}
		slices.SortFunc(t.Partitions, func(a, b Partition) int { return strings.Compare(a.Name.Name, b.Name.Name) })
	}
	return nil
}

// parseRangeBound extracts the literals of "FOR VALUES FROM ('a') TO ('b')"; MINVALUE and
// MAXVALUE come back empty.
func parseRangeBound(b string) (from, to string) {
	const pre = "FOR VALUES FROM ("
	if !strings.HasPrefix(b, pre) {
		return "", ""
	}
	rest := b[len(pre):]
	i := strings.Index(rest, ") TO (")
	if i < 0 || !strings.HasSuffix(rest, ")") {
		return "", ""
	}
	return unquoteLiteral(rest[:i]), unquoteLiteral(rest[i+len(") TO (") : len(rest)-1])
}

func unquoteLiteral(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	return "" // MINVALUE, MAXVALUE or a non-literal
}

func readConstraints(ctx context.Context, db DB, cat *TableCatalog, byOID map[int64]int) error {
	rows, err := db.Query(ctx, `
		SELECT con.conrelid::int8, con.contype::text, con.conname, con.confrelid::int8,
		       (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
		          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
		       coalesce((SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
		          JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum), '{}')
		FROM pg_constraint con
		WHERE con.contype IN ('f', 'p') AND con.conparentid = 0
		ORDER BY con.conrelid, con.conname`)
	if err != nil {
		return fmt.Errorf("retention: read constraints: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rel, ref int64
		var typ, name string
		var cols, refCols []string
		if err := rows.Scan(&rel, &typ, &name, &ref, &cols, &refCols); err != nil {
			return fmt.Errorf("retention: read constraints: %w", err)
		}
		i, ok := byOID[rel]
		if !ok {
			continue
		}
		t := &cat.Tables[i]
		switch typ {
		case "p":
			t.PrimaryKey = cols
		case "f":
			j, ok := byOID[ref]
			if !ok {
				continue // references a library or system table
			}
			t.ForeignKeys = append(t.ForeignKeys, ForeignKey{Name: name, Columns: cols, Parent: cat.Tables[j].Name, RefCols: refCols})
		}
	}
	return rows.Err()
}

// settleTable decides tenant column, class, category and time column.
func settleTable(p *governance.Policy, t *Table, cols []column, comment string) {
	for _, c := range cols {
		t.Columns = append(t.Columns, c.name)
	}
	t.Root = t.Name.Name == unqualified(p.Tenant.Table)
	t.Global = !t.Root && p.IsGlobalTable(t.Name.Name)
	if typeOf(cols, p.Tenant.Column) != "" && !t.Root {
		t.TenantColumn = p.Tenant.Column
	}
	if c, src, ok := p.ExplicitClass(t.Name.Name, ""); ok && src == "table" {
		t.Class = c
	} else if c, ok := commentClass(comment); ok {
		t.Class = c
	}
	rule, ruled := p.RetentionFor(t.Name.Name)
	switch {
	case ruled:
		t.Category, t.CategorySource = rule.Category, "rule"
	case t.Class == governance.Audit:
		t.Category, t.CategorySource = governance.CategoryAudit, "class"
	case auditName(t.Name.Name):
		t.Category, t.CategorySource = governance.CategoryAudit, "name"
	}
	switch {
	case ruled && rule.TimeColumn != "":
		t.TimeColumn = rule.TimeColumn
	case t.Partitioned && len(t.Partitions) > 0 && t.Partitions[0].PartitionKey != "":
		t.TimeColumn = t.Partitions[0].PartitionKey
	default:
		t.TimeColumn = guessTimeColumn(cols)
	}
	t.TimeType = typeOf(cols, t.TimeColumn)
}

// commentClass reads "lsos:class=<class>" from a table comment.
func commentClass(comment string) (governance.Class, bool) {
	i := strings.Index(comment, "lsos:class=")
	if i < 0 {
		return "", false
	}
	v := comment[i+len("lsos:class="):]
	if j := strings.IndexFunc(v, func(r rune) bool { return !(r >= 'a' && r <= 'z') }); j >= 0 {
		v = v[:j]
	}
	c := governance.Class(v)
	return c, c.Valid()
}

// auditName recognises audit tables by name: audit_*, *_audit, *_audit_log, audit.
func auditName(name string) bool {
	return name == "audit" || strings.HasPrefix(name, "audit_") || strings.HasSuffix(name, "_audit") ||
		strings.HasSuffix(name, "_audit_log") || strings.HasSuffix(name, "_audit_logs")
}

func isTimeType(typ string) bool {
	return typ == "date" || strings.HasPrefix(typ, "timestamp")
}

// guessTimeColumn picks the first NOT NULL date/timestamp column, preferring event
// columns (occurred_at, sent_at, month) over bookkeeping ones (created_at, updated_at).
func guessTimeColumn(cols []column) string {
	bookkeeping := map[string]bool{"created_at": true, "updated_at": true, "deleted_at": true, "expires_at": true}
	first := ""
	for _, c := range cols {
		if !isTimeType(c.typ) || !c.notNull {
			continue
		}
		if !bookkeeping[c.name] {
			return c.name
		}
		if first == "" && c.name == "created_at" {
			first = c.name
		}
	}
	return first
}

func unqualified(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}
