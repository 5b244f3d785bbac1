package integrity

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lsos/lsosgov/governance"
)

// UnscopedUnique reports a unique constraint or unique index on a tenant-owned table
// that does not include the tenant column: it makes a value unique across all tenants,
// which leaks whether another tenant uses it and blocks tenants from reusing it (policy
// §9 "unique constraints scoped by tenant"). Exempt: the tenant root table, the policy's
// global tables and global keys (tenant.global_keys), and a single-column surrogate
// primary key (integer or uuid), which is unique across tenants by construction.
// Default severity: error.
type UnscopedUnique struct{}

// Name returns "unscoped-unique".
func (UnscopedUnique) Name() string { return governance.CheckUnscopedUnique }

// Code returns IN106.
func (UnscopedUnique) Code() string { return CodeUnscopedUnique }

// Run checks the unique indexes of every selected tenant-owned table.
func (c UnscopedUnique) Run(ctx context.Context, db DB, p *governance.Policy, env *Env) (governance.Findings, error) {
	env, cat, err := env.prepare(ctx, db, p)
	if err != nil {
		return nil, err
	}
	var out governance.Findings
	for _, t := range env.checkedTables(cat) {
		if p.IsGlobalTable(t.Name.Name) {
			continue
		}
		for _, ix := range t.Indexes {
			if !ix.Unique || slices.Contains(ix.Columns, p.Tenant.Column) || surrogatePK(t, ix) || globalKey(p, t, ix.Columns) {
				continue
			}
			cols := make([]string, len(ix.Columns))
			for i, col := range ix.Columns {
				cols[i] = cmpOr(col, "(expression)")
			}
			out = append(out, finding(p, c.Name(), c.Code(), governance.SeverityError, colObject(t, cols), fmt.Sprintf(
				"unique index %s on %s (%s) does not include %s, so the key is unique across tenants; scope it as (%s, %s), or list %s in tenant.global_keys if it must be global",
				ix.Name, t.Name, joinCols(cols), p.Tenant.Column, p.Tenant.Column, joinCols(cols), keyRef(t, cols)), 0))
		}
	}
	return out, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// surrogatePK reports whether ix is a one-column integer or uuid primary key.
func surrogatePK(t *Table, ix Index) bool {
	if !ix.Primary || len(ix.Columns) != 1 {
		return false
	}
	col := t.Column(ix.Columns[0])
	if col == nil {
		return false
	}
	switch col.Type {
	case "smallint", "integer", "bigint", "uuid":
		return true
	}
	return false
}

// keyRef renders a global key as the policy writes it: table.column or table.(a,b).
func keyRef(t *Table, cols []string) string {
	if len(cols) == 1 {
		return t.Name.Name + "." + cols[0]
	}
	return t.Name.Name + ".(" + strings.Join(cols, ",") + ")"
}

// globalKey reports whether the policy allows cols of t to be unique globally. Keys are
// "table.column", "table.(a,b)" or schema-qualified forms.
func globalKey(p *governance.Policy, t *Table, cols []string) bool {
	for _, k := range p.Tenant.GlobalKeys {
		var table string
		var kc []string
		if i := strings.Index(k, ".("); i > 0 && strings.HasSuffix(k, ")") {
			table = k[:i]
			for _, c := range strings.Split(k[i+2:len(k)-1], ",") {
				kc = append(kc, strings.TrimSpace(c))
			}
		} else {
			i := strings.LastIndexByte(k, '.')
			if i <= 0 {
				continue
			}
			table, kc = k[:i], []string{k[i+1:]}
		}
		if table != t.Name.Name && table != t.Name.String() {
			continue
		}
		if sameSet(kc, cols) {
			return true
		}
	}
	return false
}
