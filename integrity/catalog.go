package integrity

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/lsos/lsosgov/governance"
)

// Catalog is one consistent snapshot of the schema facts the checks need: ordinary and
// partitioned tables with their columns, constraints, indexes and partitions. It is read
// with a single query ([ReadCatalog]) and shared by every schema check of a run.
//
// System schemas and the SDK's own schemas (lsos_migrate, lsos_retention, …: every
// schema for which [governance.Policy.IsSDKSchema] holds) are left out.
type Catalog struct {
	// Tables in schema, name order.
	Tables []*Table
	byOID  map[uint32]*Table
}

// Table is a table or partitioned table.
type Table struct {
	OID  uint32
	Name governance.QualifiedName
	// Partitioned is true for a partitioned parent (relkind p).
	Partitioned bool
	// PartitionOf is the parent's OID when the table is a partition (0 otherwise).
	PartitionOf uint32
	// Bound is the partition bound expression, e.g. FOR VALUES FROM ('2026-01-01') TO (…)
	// or DEFAULT.
	Bound string
	// PartStrategy is r (range), l (list) or h (hash) for a partitioned parent.
	PartStrategy string
	// PartKey names the partition key columns ("" for an expression).
	PartKey     []string
	Columns     []Column
	Constraints []Constraint
	Indexes     []Index
	// Partitions are the direct partitions of a partitioned parent.
	Partitions []*Table
}

// Column is a table column.
type Column struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	NotNull bool   `json:"notnull"`
}

// Constraint is a primary key (p), unique (u), foreign key (f) or check (c) constraint.
type Constraint struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Validated bool     `json:"validated"`
	Inherited bool     `json:"inherited"` // cloned from a partitioned parent
	Columns   []string `json:"cols"`
	RefOID    uint32   `json:"ref"`
	RefCols   []string `json:"refcols"`
	Deferred  bool     `json:"deferred"`
	// Match is a foreign key's match type: "s" (MATCH SIMPLE, the default: a row with
	// any referencing column NULL is not checked), "f" (MATCH FULL) or "p".
	Match string `json:"match"`
}

// Index is an index on a table; Columns holds its key columns, "" for an expression.
type Index struct {
	Name    string   `json:"name"`
	Columns []string `json:"cols"`
	Unique  bool     `json:"unique"`
	Primary bool     `json:"primary"`
	Valid   bool     `json:"valid"`
	Partial bool     `json:"partial"`
	// Inherited is true for an index attached to a partitioned parent's index.
	Inherited bool `json:"inherited"`
}

// Table returns the table with the given OID, or nil.
func (c *Catalog) Table(oid uint32) *Table { return c.byOID[oid] }

// Lookup finds a table by name; an unqualified name (empty Schema) matches the first
// table of that name in schema order, preferring public.
func (c *Catalog) Lookup(n governance.QualifiedName) *Table {
	var found *Table
	for _, t := range c.Tables {
		if t.Name.Name != n.Name {
			continue
		}
		if n.Schema != "" {
			if t.Name.Schema == n.Schema {
				return t
			}
			continue
		}
		if t.Name.Schema == "public" {
			return t
		}
		if found == nil {
			found = t
		}
	}
	return found
}

// lookupIn finds table name in schema, else anywhere (see Lookup).
func (c *Catalog) lookupIn(schema, name string) *Table {
	if t := c.Lookup(governance.QualifiedName{Schema: schema, Name: name}); t != nil {
		return t
	}
	return c.Lookup(governance.QualifiedName{Name: name})
}

// Column returns the named column, or nil.
func (t *Table) Column(name string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// IsPartition reports whether the table is a partition of another.
func (t *Table) IsPartition() bool { return t.PartitionOf != 0 }

// ForeignKeys returns the table's own foreign keys (not the clones on partitions).
func (t *Table) ForeignKeys() []Constraint {
	var out []Constraint
	for _, c := range t.Constraints {
		if c.Type == "f" && !c.Inherited {
			out = append(out, c)
		}
	}
	return out
}

// PrimaryKey returns the primary key columns, or nil.
func (t *Table) PrimaryKey() []string {
	for _, c := range t.Constraints {
		if c.Type == "p" {
			return c.Columns
		}
	}
	return nil
}

// hasUniqueOn reports whether a valid, non-partial unique index has exactly cols (any
// order) as its key.
func (t *Table) hasUniqueOn(cols []string) bool {
	for _, ix := range t.Indexes {
		if ix.Unique && ix.Valid && !ix.Partial && sameSet(ix.Columns, cols) {
			return true
		}
	}
	return false
}

// Leaves returns the leaf partitions under a partitioned table (itself when not
// partitioned).
func (t *Table) Leaves() []*Table {
	if !t.Partitioned {
		return []*Table{t}
	}
	var out []*Table
	for _, p := range t.Partitions {
		out = append(out, p.Leaves()...)
	}
	return out
}

// catalogQuery reads every fact in one statement, so all schema checks see one
// consistent snapshot. The marker comment lets tests count catalog reads.
const catalogQuery = `/* lsos:integrity catalog */
SELECT c.oid::int8, n.nspname::text, c.relname::text, c.relkind::text,
       coalesce((SELECT i.inhparent::int8 FROM pg_inherits i WHERE i.inhrelid = c.oid AND c.relispartition LIMIT 1), 0),
       coalesce(pg_get_expr(c.relpartbound, c.oid), ''),
       coalesce((SELECT pt.partstrat::text FROM pg_partitioned_table pt WHERE pt.partrelid = c.oid), ''),
       coalesce((SELECT json_agg(coalesce(a.attname::text, '') ORDER BY k.ord)
                 FROM pg_partitioned_table pt, unnest(pt.partattrs::int2[]) WITH ORDINALITY k(n, ord)
                 LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.n
                 WHERE pt.partrelid = c.oid), '[]'),
       coalesce((SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                                 'notnull', a.attnotnull) ORDER BY a.attnum)
                 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'),
       coalesce((SELECT json_agg(json_build_object('name', co.conname, 'type', co.contype, 'validated', co.convalidated,
                                 'inherited', co.conparentid <> 0, 'ref', co.confrelid::int8, 'deferred', co.condeferrable,
                                 'match', co.confmatchtype,
                                 'cols', (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(co.conkey) WITH ORDINALITY k(n, ord)
                                          JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.n),
                                 'refcols', (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(co.confkey) WITH ORDINALITY k(n, ord)
                                             JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.n))
                                 ORDER BY co.conname)
                 FROM pg_constraint co WHERE co.conrelid = c.oid AND co.contype IN ('p', 'u', 'f', 'c')), '[]'),
       coalesce((SELECT json_agg(json_build_object('name', ic.relname, 'unique', x.indisunique, 'primary', x.indisprimary,
                                 'valid', x.indisvalid AND x.indisready, 'partial', x.indpred IS NOT NULL,
                                 'inherited', ic.relispartition,
                                 'cols', (SELECT json_agg(coalesce(a.attname::text, '') ORDER BY k.ord)
                                          FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, ord)
                                          LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n
                                          WHERE k.ord <= x.indnkeyatts))
                                 ORDER BY ic.relname)
                 FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid WHERE x.indrelid = c.oid), '[]')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_%'
ORDER BY n.nspname, c.relname`

// ReadCatalog reads the catalog snapshot with one query. The tables of the SDK's own
// schemas under policy p ([governance.Policy.IsSDKSchema]; nil p: the default prefix
// lsos_) are left out, so no check reports on the SDK's bookkeeping.
func ReadCatalog(ctx context.Context, db DB, p *governance.Policy) (*Catalog, error) {
	rows, err := db.Query(ctx, catalogQuery)
	if err != nil {
		return nil, fmt.Errorf("integrity: read catalog: %w", err)
	}
	defer rows.Close()
	cat := &Catalog{byOID: map[uint32]*Table{}}
	for rows.Next() {
		var (
			oid, parent                   int64
			schema, name, kind, bound, ps string
			partKey, cols, cons, idx      []byte
		)
		if err := rows.Scan(&oid, &schema, &name, &kind, &parent, &bound, &ps, &partKey, &cols, &cons, &idx); err != nil {
			return nil, fmt.Errorf("integrity: read catalog: %w", err)
		}
		if p.IsSDKTable(schema, name) {
			continue
		}
		t := &Table{OID: uint32(oid), Name: governance.QualifiedName{Schema: schema, Name: name}, Partitioned: kind == "p",
			PartitionOf: uint32(parent), Bound: bound, PartStrategy: ps}
		for _, part := range []struct {
			b []byte
			v any
		}{{partKey, &t.PartKey}, {cols, &t.Columns}, {cons, &t.Constraints}, {idx, &t.Indexes}} {
			if err := json.Unmarshal(part.b, part.v); err != nil {
				return nil, fmt.Errorf("integrity: decode catalog for %s: %w", t.Name, err)
			}
		}
		cat.Tables = append(cat.Tables, t)
		cat.byOID[t.OID] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("integrity: read catalog: %w", err)
	}
	for _, t := range cat.Tables {
		if p := cat.byOID[t.PartitionOf]; p != nil {
			p.Partitions = append(p.Partitions, t)
		}
	}
	for _, t := range cat.Tables {
		sort.Slice(t.Partitions, func(i, j int) bool { return t.Partitions[i].Name.String() < t.Partitions[j].Name.String() })
	}
	return cat, nil
}

// sameSet reports whether a and b hold the same names, ignoring order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// colObject renders the finding object for columns of t: schema.table.col, or
// schema.table.(a,b) for several.
func colObject(t *Table, cols []string) string {
	switch len(cols) {
	case 0:
		return t.Name.String()
	case 1:
		return t.Name.String() + "." + cols[0]
	}
	return t.Name.String() + ".(" + strings.Join(cols, ",") + ")"
}
