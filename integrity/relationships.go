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
	// Via, when no single FK covers the relationship, is a chain of FKs that enforces it
	// transitively (see enforcingChain), nil when none does.
	Via []link
	// Problem, when set, says why a policy relationship cannot be resolved.
	Problem string
	// Inherited marks a policy relationship that is a built-in default the policy file
	// did not name ([governance.Policy.IsDefaultRelationship]).
	Inherited bool
}

// link is one foreign key of a chain: constraint FK of Table.
type link struct {
	Table *Table
	FK    *Constraint
}

// enforced reports whether validated foreign keys guarantee the relationship, by one FK
// or through a chain.
func (r relationship) enforced() bool {
	if r.FK != nil {
		return r.FK.Validated
	}
	return len(r.Via) > 0 && r.weakLink() == nil
}

// weakLink returns the NOT VALID foreign key the relationship relies on, nil when there
// is none (or no FK at all).
func (r relationship) weakLink() *link {
	if r.FK != nil {
		if r.FK.Validated {
			return nil
		}
		return &link{Table: r.Child, FK: r.FK}
	}
	for i := range r.Via {
		if !r.Via[i].FK.Validated {
			return &r.Via[i]
		}
	}
	return nil
}

// describeVia renders the chain: "tasks_project_fk on public.tasks, then
// projects_tenant_id_fkey on public.projects".
func (r relationship) describeVia() string {
	parts := make([]string, len(r.Via))
	for i, l := range r.Via {
		parts[i] = fmt.Sprintf("%s on %s", l.FK.Name, l.Table.Name)
	}
	return strings.Join(parts, ", then ")
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
			r = expand(cat, r, p)
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
		r := relationship{Child: child, Column: fc, ChildCols: []string{fc}, ParentCols: []string{tc}, Source: "policy",
			Inherited: p.IsDefaultRelationship(rel)}
		parent := cat.lookupIn(tt.Schema, tt.Name)
		what, fixCol, fixTable, fixTo := "policy relationship", "fix the policy or add the column", "fix the policy or create it", "fix the policy"
		if r.Inherited {
			what = "built-in default relationship"
			fixCol = "it does not fit this schema: list this schema's critical relationships under relationships in the policy file, or drop the defaults with replace_defaults: [relationships]"
			fixTable, fixTo = fixCol, fixCol
		}
		switch {
		case child.Column(fc) == nil:
			r.Parent = child
			r.Problem = fmt.Sprintf("%s %s → %s names column %s, which %s lacks; %s", what, rel.From, rel.To, fc, child.Name, fixCol)
		case parent == nil:
			r.Parent = child
			r.Problem = fmt.Sprintf("%s %s → %s names table %s, which does not exist; %s", what, rel.From, rel.To, tt.Name, fixTable)
		case parent.Column(tc) == nil:
			r.Parent = parent
			r.Problem = fmt.Sprintf("%s %s → %s names column %s, which %s lacks; %s", what, rel.From, rel.To, tc, parent.Name, fixTo)
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
// column: a reference to another tenant's row is as broken as a dangling one. When no
// validated FK covers the relationship, a chain of FKs that enforces it transitively is
// attached instead (enforcingChain).
func expand(cat *Catalog, r relationship, p *governance.Policy) relationship {
	from, to := r.ChildCols[0], r.ParentCols[0]
	if fk := coveringFK(r.Child, r.Parent, from, to); fk != nil {
		r.FK = fk
		r.ChildCols, r.ParentCols = fk.Columns, fk.RefCols
	} else if tc := p.Tenant.Column; tc != "" && from != tc && !p.IsGlobalTable(r.Parent.Name.Name) && r.Child.Column(tc) != nil && r.Parent.Column(tc) != nil {
		r.ChildCols = []string{tc, from}
		r.ParentCols = []string{tc, to}
	}
	if r.FK != nil && r.FK.Validated {
		return r
	}
	if via := enforcingChain(cat, r.Child, r.ChildCols, r.Parent, r.ParentCols); via != nil {
		// A NOT VALID FK of its own stays the one to fix unless the chain is all validated.
		if r.FK == nil || (relationship{Via: via}).enforced() {
			r.FK, r.Via = nil, via
		}
	}
	return r
}

// enforcingChain finds foreign keys that together guarantee that every row of child
// whose cols are all set has a row of parent with pcols equal to them. Each link is an
// FK of its table that maps every column of the current list to a column of the table
// it references and that checks every such row: it is MATCH FULL, or its other
// referencing columns are NOT NULL (under the default MATCH SIMPLE a row with any
// referencing column NULL is not checked at all). The chain ends with an FK to parent
// that maps the list onto pcols in order. So tasks.tenant_id → tenants.id holds through
// FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) when
// projects.tenant_id → tenants.id holds in turn. A chain of validated FKs is preferred;
// nil means no chain exists.
func enforcingChain(cat *Catalog, child *Table, cols []string, parent *Table, pcols []string) []link {
	for _, validOnly := range []bool{true, false} {
		if via := chainFrom(cat, child, cols, parent, pcols, validOnly, map[string]bool{}); via != nil {
			return via
		}
	}
	return nil
}

// chainFrom searches depth first; failed lists stay in seen, which also breaks cycles.
func chainFrom(cat *Catalog, t *Table, cols []string, parent *Table, pcols []string, validOnly bool, seen map[string]bool) []link {
	k := fmt.Sprint(t.OID, cols)
	if seen[k] {
		return nil
	}
	seen[k] = true
	type hop struct {
		fk     *Constraint
		mapped []string
	}
	var hops []hop
	for i := range t.Constraints {
		c := &t.Constraints[i]
		if c.Type != "f" || c.Inherited || validOnly && !c.Validated {
			continue
		}
		mapped, ok := mapColumns(c, cols)
		if !ok || !checksEveryRow(t, c, cols) {
			continue
		}
		if c.RefOID == parent.OID && slices.Equal(mapped, pcols) {
			return []link{{Table: t, FK: c}}
		}
		hops = append(hops, hop{c, mapped})
	}
	for _, h := range hops {
		mid := cat.Table(h.fk.RefOID)
		if mid == nil {
			continue
		}
		if rest := chainFrom(cat, mid, h.mapped, parent, pcols, validOnly, seen); rest != nil {
			return append([]link{{Table: t, FK: h.fk}}, rest...)
		}
	}
	return nil
}

// mapColumns returns the referenced columns fk maps cols to, in order; ok is false when
// fk does not carry every column of cols.
func mapColumns(fk *Constraint, cols []string) ([]string, bool) {
	out := make([]string, len(cols))
	for i, c := range cols {
		j := slices.Index(fk.Columns, c)
		if j < 0 || j >= len(fk.RefCols) {
			return nil, false
		}
		out[i] = fk.RefCols[j]
	}
	return out, true
}

// checksEveryRow reports whether fk checks every row of t in which cols are all set:
// MATCH FULL, or every other referencing column NOT NULL.
func checksEveryRow(t *Table, fk *Constraint, cols []string) bool {
	if fk.Match == "f" {
		return true
	}
	for _, c := range fk.Columns {
		if slices.Contains(cols, c) {
			continue
		}
		if col := t.Column(c); col == nil || !col.NotNull {
			return false
		}
	}
	return true
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
