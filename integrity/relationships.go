package integrity

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// relationship is a child → parent reference the checks care about.
type relationship struct {
	Child      *Table
	ChildCols  []string
	Parent     *Table
	ParentCols []string
	// Column is the referencing column the relationship is named by (x_id in
	// (tenant_id, x_id)); the finding object is Child.Column.
	Column string
	// Source is "policy", "inferred" or "fk" (a declared FK found in the catalog).
	Source string
	// FK is the constraint that covers the relationship, nil when none does.
	FK *Constraint
	// Problem, when set, says why a policy relationship cannot be resolved.
	Problem string
}

func (r relationship) object() string { return colObject(r.Child, []string{r.Column}) }

func (r relationship) key() string {
	return fmt.Sprintf("%d(%s)>%d(%s)", r.Child.OID, strings.Join(r.ChildCols, ","), r.Parent.OID, strings.Join(r.ParentCols, ","))
}

// describe renders "public.keywords (tenant_id, campaign_id) → public.campaigns (tenant_id, id)".
func (r relationship) describe() string {
	return fmt.Sprintf("%s (%s) → %s (%s)", r.Child.Name, strings.Join(r.ChildCols, ", "), r.Parent.Name, strings.Join(r.ParentCols, ", "))
}

// coveringFK returns the FK of child that maps from → to on parent, preferring a
// validated one.
func coveringFK(child, parent *Table, from, to string) *Constraint {
	var best *Constraint
	for i := range child.Constraints {
		c := &child.Constraints[i]
		if c.Type != "f" || c.Inherited || c.RefOID != parent.OID {
			continue
		}
		j := slices.Index(c.Columns, from)
		if j < 0 || j >= len(c.RefCols) || c.RefCols[j] != to {
			continue
		}
		if best == nil || c.Validated && !best.Validated {
			best = c
		}
	}
	return best
}

// criticalRelationships lists the policy's relationships and the inferred ones
// (<name>_id → <name>s.id or <name>.id) for the selected child tables.
func criticalRelationships(cat *Catalog, p *governance.Policy, env *Env) []relationship {
	var out []relationship
	seen := map[string]bool{}
	add := func(r relationship) {
		if r.Problem == "" {
			r = expand(r, p)
		}
		k := r.Child.Name.String() + "." + r.Column
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, r)
	}
	for _, rel := range p.Relationships {
		ft, fc, ok1 := splitRef(rel.From)
		tt, tc, ok2 := splitRef(rel.To)
		if !ok1 || !ok2 {
			continue // Policy.Validate reports the malformed reference
		}
		child := cat.Lookup(ft)
		if child == nil || child.IsPartition() || !env.selected(cat, child) {
			continue // a table this database does not have: nothing to enforce here
		}
		if tt.Schema == "" {
			tt.Schema = child.Name.Schema
		}
		r := relationship{Child: child, Column: fc, ChildCols: []string{fc}, ParentCols: []string{tc}, Source: "policy"}
		parent := cat.lookupIn(tt.Schema, tt.Name)
		switch {
		case child.Column(fc) == nil:
			r.Parent = child
			r.Problem = fmt.Sprintf("policy relationship %s → %s names column %s, which %s lacks; fix the policy or add the column", rel.From, rel.To, fc, child.Name)
		case parent == nil:
			r.Parent = child
			r.Problem = fmt.Sprintf("policy relationship %s → %s names table %s, which does not exist; fix the policy or create it", rel.From, rel.To, tt.Name)
		case parent.Column(tc) == nil:
			r.Parent = parent
			r.Problem = fmt.Sprintf("policy relationship %s → %s names column %s, which %s lacks; fix the policy", rel.From, rel.To, tc, parent.Name)
		default:
			r.Parent = parent
		}
		add(r)
	}
	for _, child := range env.checkedTables(cat) {
		for _, col := range child.Columns {
			base, ok := strings.CutSuffix(col.Name, "_id")
			if !ok || base == "" {
				continue
			}
			for _, cand := range []string{base + "s", base} {
				parent := cat.lookupIn(child.Name.Schema, cand)
				if parent == nil || parent.IsPartition() || parent.Column("id") == nil {
					continue
				}
				tcol := p.Tenant.Column
				keyed := parent.hasUniqueOn([]string{"id"}) ||
					tcol != "" && child.Column(tcol) != nil && parent.hasUniqueOn([]string{tcol, "id"})
				if !keyed {
					continue
				}
				add(relationship{Child: child, Column: col.Name, ChildCols: []string{col.Name}, Parent: parent,
					ParentCols: []string{"id"}, Source: "inferred"})
				break
			}
		}
	}
	return out
}

// expand attaches the covering FK and widens the relationship to the FK's columns, or,
// without an FK, to (tenant, x_id) → (tenant, id) when both tables carry the tenant
// column: a reference to another tenant's row is as broken as a dangling one.
func expand(r relationship, p *governance.Policy) relationship {
	from, to := r.ChildCols[0], r.ParentCols[0]
	if fk := coveringFK(r.Child, r.Parent, from, to); fk != nil {
		r.FK = fk
		r.ChildCols, r.ParentCols = fk.Columns, fk.RefCols
		return r
	}
	tc := p.Tenant.Column
	if tc != "" && from != tc && !p.IsGlobalTable(r.Parent.Name.Name) && r.Child.Column(tc) != nil && r.Parent.Column(tc) != nil {
		r.ChildCols = []string{tc, from}
		r.ParentCols = []string{tc, to}
	}
	return r
}

// splitRef reads "table.column" or "schema.table.column".
func splitRef(s string) (sqlident.Name, string, bool) {
	parts, err := sqlident.SplitParts(s)
	if err != nil || len(parts) < 2 || len(parts) > 3 {
		return sqlident.Name{}, "", false
	}
	col := parts[len(parts)-1]
	if len(parts) == 3 {
		return sqlident.Name{Schema: parts[0], Name: parts[1]}, col, true
	}
	return sqlident.Name{Name: parts[0]}, col, true
}
