package schemasnap

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/schema"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/lsos/lsosgov/internal/dbx"
)

// Snapshot is a comparable picture of one or more schemas. Every map is keyed by a
// schema-qualified object name.
type Snapshot struct {
	Tables     map[string]Table  // from Atlas
	Partitions map[string]string // child table → "OF parent FOR VALUES …"
	Views      map[string]string // view or materialized view → definition
	Functions  map[string]string // schema.name(args) → full definition
	Triggers   map[string]string // schema.table.trigger → definition
	Policies   map[string]string // schema.table.policy → command, roles, USING, WITH CHECK
	RLS        map[string]string // schema.table → "enabled", "enabled,forced"
	Sequences  map[string]string // schema.sequence → type, start, increment, owner
	Types      map[string]string // enum labels or domain definitions
	Indexes    map[string]string // schema.index → pg_get_indexdef (incl. partition children)
	Constraint map[string]string // schema.table.constraint → pg_get_constraintdef
	Comments   map[string]string // pg_describe_object → comment
}

// Table is a table as Atlas inspects it.
type Table struct {
	Columns      []Column
	PrimaryKey   string
	Indexes      map[string]Index
	ForeignKeys  map[string]ForeignKey
	Checks       map[string]string
	Comment      string
	PartitionKey string
}

// Column is one column.
type Column struct {
	Name     string
	Type     string
	Null     bool
	Default  string
	Identity string
	Comment  string
}

// Index is one index.
type Index struct {
	Unique    bool
	Parts     []string
	Predicate string
	Method    string
}

// ForeignKey is one foreign key.
type ForeignKey struct {
	Columns    []string
	RefTable   string
	RefColumns []string
	OnUpdate   string
	OnDelete   string
}

// Take snapshots the given schemas ("public" when none is given). db must be a
// *pgxpool.Pool or *pgx.Conn (Atlas reads through database/sql; for a *pgx.Conn it opens
// its own connection, so a caller's uncommitted changes are not seen).
func Take(ctx context.Context, db dbx.DB, schemas ...string) (*Snapshot, error) {
	if len(schemas) == 0 {
		schemas = []string{"public"}
	}
	var sdb *sql.DB
	switch d := db.(type) {
	case *pgxpool.Pool:
		sdb = stdlib.OpenDBFromPool(d)
	case *pgx.Conn:
		sdb = stdlib.OpenDB(*d.Config())
	default:
		return nil, fmt.Errorf("schemasnap: Take needs a *pgxpool.Pool or *pgx.Conn, got %T", db)
	}
	defer sdb.Close()
	drv, err := postgres.Open(sdb)
	if err != nil {
		return nil, fmt.Errorf("schemasnap: atlas: %w", err)
	}
	realm, err := drv.InspectRealm(ctx, &schema.InspectRealmOption{Schemas: schemas})
	if err != nil {
		return nil, fmt.Errorf("schemasnap: atlas inspect: %w", err)
	}
	s := &Snapshot{Tables: map[string]Table{}}
	for _, sc := range realm.Schemas {
		for _, t := range sc.Tables {
			s.Tables[sc.Name+"."+t.Name] = flatten(t)
		}
	}
	if err := s.catalog(ctx, db, schemas); err != nil {
		return nil, err
	}
	return s, nil
}

func flatten(t *schema.Table) Table {
	out := Table{Indexes: map[string]Index{}, ForeignKeys: map[string]ForeignKey{}, Checks: map[string]string{}}
	for _, c := range t.Columns {
		col := Column{Name: c.Name, Default: exprString(c.Default)}
		if c.Type != nil {
			col.Null = c.Type.Null
			col.Type = c.Type.Raw
			if ft, err := postgres.FormatType(c.Type.Type); err == nil && ft != "" {
				col.Type = ft
			}
		}
		for _, a := range c.Attrs {
			switch a := a.(type) {
			case *postgres.Identity:
				col.Identity = a.Generation
			case *schema.Comment:
				col.Comment = a.Text
			}
		}
		out.Columns = append(out.Columns, col)
	}
	if t.PrimaryKey != nil {
		out.PrimaryKey = t.PrimaryKey.Name + " (" + strings.Join(parts(t.PrimaryKey), ", ") + ")"
	}
	for _, ix := range t.Indexes {
		i := Index{Unique: ix.Unique, Parts: parts(ix)}
		for _, a := range ix.Attrs {
			switch a := a.(type) {
			case *postgres.IndexPredicate:
				i.Predicate = a.P
			case *postgres.IndexType:
				i.Method = a.T
			}
		}
		out.Indexes[ix.Name] = i
	}
	for _, fk := range t.ForeignKeys {
		f := ForeignKey{OnUpdate: string(fk.OnUpdate), OnDelete: string(fk.OnDelete)}
		for _, c := range fk.Columns {
			f.Columns = append(f.Columns, c.Name)
		}
		if fk.RefTable != nil {
			f.RefTable = fk.RefTable.Name
			if fk.RefTable.Schema != nil {
				f.RefTable = fk.RefTable.Schema.Name + "." + fk.RefTable.Name
			}
		}
		for _, c := range fk.RefColumns {
			f.RefColumns = append(f.RefColumns, c.Name)
		}
		out.ForeignKeys[fk.Symbol] = f
	}
	for _, a := range t.Attrs {
		switch a := a.(type) {
		case *schema.Check:
			out.Checks[a.Name] = a.Expr
		case *schema.Comment:
			out.Comment = a.Text
		case *postgres.Partition:
			var ps []string
			for _, p := range a.Parts {
				if p.C != nil {
					ps = append(ps, p.C.Name)
				} else {
					ps = append(ps, exprString(p.X))
				}
			}
			out.PartitionKey = a.T + " (" + strings.Join(ps, ", ") + ")"
		}
	}
	return out
}

func parts(ix *schema.Index) []string {
	var out []string
	for _, p := range ix.Parts {
		s := exprString(p.X)
		if p.C != nil {
			s = p.C.Name
		}
		if p.Desc {
			s += " DESC"
		}
		out = append(out, s)
	}
	return out
}

func exprString(e schema.Expr) string {
	switch e := e.(type) {
	case nil:
		return ""
	case *schema.RawExpr:
		return e.X
	case *schema.Literal:
		return e.V
	case *schema.NamedDefault:
		return exprString(e.Expr)
	}
	return fmt.Sprintf("%T", e)
}

// catalogQueries read what Atlas's open-source inspector does not: each returns
// (key, value) rows for the schemas in $1.
var catalogQueries = []struct {
	field string
	dest  func(*Snapshot) *map[string]string // the Snapshot field the rows fill
	sql   string
}{
	{"Partitions", func(s *Snapshot) *map[string]string { return &s.Partitions }, `SELECT format('%I.%I', n.nspname, c.relname),
		'PARTITION OF ' || (SELECT format('%I.%I', pn.nspname, p.relname) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid) || ' ' || pg_get_expr(c.relpartbound, c.oid)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relispartition AND c.relkind IN ('r', 'p') AND n.nspname = ANY($1)`},
	{"Views", func(s *Snapshot) *map[string]string { return &s.Views }, `SELECT format('%I.%I', n.nspname, c.relname), c.relkind::text || ': ' || pg_get_viewdef(c.oid)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY($1)`},
	{"Functions", func(s *Snapshot) *map[string]string { return &s.Functions }, `SELECT format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
		CASE WHEN p.prokind = 'a' THEN 'aggregate' ELSE pg_get_functiondef(p.oid) END
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ANY($1)
		AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')`},
	{"Triggers", func(s *Snapshot) *map[string]string { return &s.Triggers }, `SELECT format('%I.%I.%I', n.nspname, c.relname, t.tgname), pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
		FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE NOT t.tgisinternal AND n.nspname = ANY($1)`},
	{"Policies", func(s *Snapshot) *map[string]string { return &s.Policies }, `SELECT format('%I.%I.%I', schemaname, tablename, policyname),
		concat_ws(' | ', permissive, cmd, array_to_string(roles, ','), 'USING ' || qual, 'WITH CHECK ' || with_check)
		FROM pg_policies WHERE schemaname = ANY($1)`},
	{"RLS", func(s *Snapshot) *map[string]string { return &s.RLS }, `SELECT format('%I.%I', n.nspname, c.relname), CASE WHEN c.relforcerowsecurity THEN 'enabled,forced' ELSE 'enabled' END
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relrowsecurity AND n.nspname = ANY($1)`},
	{"Sequences", func(s *Snapshot) *map[string]string { return &s.Sequences }, `SELECT format('%I.%I', s.schemaname, s.sequencename),
		format('%s start %s increment %s min %s max %s cycle %s owned by %s', s.data_type, s.start_value, s.increment_by, s.min_value, s.max_value, s.cycle,
		coalesce((SELECT format('%I.%I', dc.relname, a.attname) FROM pg_depend d JOIN pg_class dc ON dc.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
		          WHERE d.objid = format('%I.%I', s.schemaname, s.sequencename)::regclass AND d.deptype IN ('a', 'i') LIMIT 1), '-'))
		FROM pg_sequences s WHERE s.schemaname = ANY($1)`},
	{"Types", func(s *Snapshot) *map[string]string { return &s.Types }, `SELECT format('%I.%I', n.nspname, t.typname),
		CASE t.typtype WHEN 'e' THEN 'enum (' || (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) || ')'
		ELSE 'domain ' || format_type(t.typbasetype, t.typtypmod) || coalesce(' ' || (SELECT string_agg(pg_get_constraintdef(c.oid), ' ' ORDER BY c.conname) FROM pg_constraint c WHERE c.contypid = t.oid), '') || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END END
		FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype IN ('e', 'd') AND n.nspname = ANY($1)`},
	{"Indexes", func(s *Snapshot) *map[string]string { return &s.Indexes }, `SELECT format('%I.%I', n.nspname, c.relname), pg_get_indexdef(c.oid) || CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1)`},
	{"Constraint", func(s *Snapshot) *map[string]string { return &s.Constraint }, `SELECT format('%I.%I.%I', n.nspname, cl.relname, c.conname), pg_get_constraintdef(c.oid) || CASE WHEN c.convalidated THEN '' ELSE ' (not validated)' END
		FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE n.nspname = ANY($1)`},
	{"Comments", func(s *Snapshot) *map[string]string { return &s.Comments }, `SELECT pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description
		FROM pg_description d
		WHERE coalesce(
			(SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE d.classoid = 'pg_class'::regclass AND c.oid = d.objoid),
			(SELECT n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE d.classoid = 'pg_proc'::regclass AND p.oid = d.objoid),
			(SELECT n.nspname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE d.classoid = 'pg_type'::regclass AND t.oid = d.objoid),
			(SELECT n.nspname FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE d.classoid = 'pg_constraint'::regclass AND c.oid = d.objoid),
			(SELECT n.nspname FROM pg_trigger t JOIN pg_class cl ON cl.oid = t.tgrelid JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE d.classoid = 'pg_trigger'::regclass AND t.oid = d.objoid),
			(SELECT p.schemaname FROM pg_policy po JOIN pg_class cl ON cl.oid = po.polrelid JOIN pg_policies p ON p.tablename = cl.relname AND p.policyname = po.polname WHERE d.classoid = 'pg_policy'::regclass AND po.oid = d.objoid LIMIT 1),
			(SELECT n.nspname FROM pg_namespace n WHERE d.classoid = 'pg_namespace'::regclass AND n.oid = d.objoid)
		) = ANY($1)`},
}

func (s *Snapshot) catalog(ctx context.Context, db dbx.DB, schemas []string) error {
	for _, q := range catalogQueries {
		rows, err := db.Query(ctx, q.sql, schemas)
		if err != nil {
			return fmt.Errorf("schemasnap: read %s: %w", strings.ToLower(q.field), err)
		}
		m := map[string]string{}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return fmt.Errorf("schemasnap: read %s: %w", strings.ToLower(q.field), err)
			}
			m[k] = v
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("schemasnap: read %s: %w", strings.ToLower(q.field), err)
		}
		*q.dest(s) = m
	}
	return nil
}

// Diff returns a readable go-cmp diff from a to b ("-a +b"), or "" when they are equal.
// Empty and nil maps compare equal.
func Diff(a, b *Snapshot) string {
	return cmp.Diff(a, b, cmp.Options{
		cmpEmpty,
	})
}

var cmpEmpty = cmp.FilterValues(func(x, y any) bool { return isEmpty(x) && isEmpty(y) }, cmp.Comparer(func(_, _ any) bool { return true }))

func isEmpty(v any) bool {
	switch v := v.(type) {
	case map[string]string:
		return len(v) == 0
	case map[string]Table:
		return len(v) == 0
	case map[string]Index:
		return len(v) == 0
	case map[string]ForeignKey:
		return len(v) == 0
	case []string:
		return len(v) == 0
	case []Column:
		return len(v) == 0
	}
	return false
}

// Names returns the sorted keys of a map, for messages.
func Names[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
