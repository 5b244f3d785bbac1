package integrity

import (
	"context"
	"fmt"
	"slices"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// TenantIsolation reports a tenant-owned table (every table except the tenant root and
// the policy's global tables) whose tenant column is missing or nullable, or that is not
// tied to the root table by a validated FK — directly, or through a composite FK that
// carries the tenant column to a parent that is itself tied, with its other columns
// NOT NULL (or MATCH FULL) so that it checks every row — and an FK from a
// tenant-owned table to another tenant-owned table that does not carry the tenant
// column, so a row could reference another tenant's row. Default severity: error.
type TenantIsolation struct{}

// Name returns "tenant-isolation".
func (TenantIsolation) Name() string { return governance.CheckTenantIsolation }

// Code returns IN104 (a finding may carry IN102, IN103 or IN105 instead).
func (TenantIsolation) Code() string { return CodeTenantNoRootFK }

// Run checks every selected tenant-owned table.
func (c TenantIsolation) Run(ctx context.Context, db DB, p *governance.Policy, env *Env) (governance.Findings, error) {
	env, cat, err := env.prepare(ctx, db, p)
	if err != nil {
		return nil, err
	}
	tc := p.Tenant.Column
	rootName, err := sqlident.Parse(p.Tenant.Table, "")
	if err != nil {
		return nil, fmt.Errorf("integrity: tenant root table %q: %w", p.Tenant.Table, err)
	}
	root := cat.Lookup(rootName)
	anchored := anchoredTables(cat, p, root)
	var out governance.Findings
	add := func(code, object, msg string) {
		out = append(out, finding(p, c.Name(), code, governance.SeverityError, object, msg, 0))
	}
	for _, t := range env.checkedTables(cat) {
		if p.IsGlobalTable(t.Name.Name) || t == root {
			continue
		}
		col := t.Column(tc)
		if col == nil {
			add(CodeTenantColumnMissing, t.Name.String(), fmt.Sprintf(
				"tenant-owned table %s has no %s column; add it NOT NULL with an FK to %s, or list the table in tenant.global_tables if it is shared",
				t.Name, tc, p.Tenant.Table))
			continue
		}
		if !col.NotNull {
			add(CodeTenantNullable, colObject(t, []string{tc}), fmt.Sprintf(
				"%s.%s is nullable, so a row can belong to no tenant; backfill it and SET NOT NULL", t.Name, tc))
		}
		if !anchored[t.OID] {
			target := p.Tenant.Table
			if root != nil {
				target = root.Name.String()
			}
			add(CodeTenantNoRootFK, colObject(t, []string{tc}), fmt.Sprintf(
				"%s.%s has no validated foreign key to %s, directly or through a composite FK that carries %s (with its other columns NOT NULL, so that it checks every row); add FOREIGN KEY (%s) REFERENCES %s",
				t.Name, tc, target, tc, sqlident.Quote(tc), target))
		}
		for _, fk := range t.ForeignKeys() {
			parent := cat.Table(fk.RefOID)
			if parent == nil || parent == root || p.IsGlobalTable(parent.Name.Name) || parent.Column(tc) == nil {
				continue
			}
			if carriesTenant(fk, tc) {
				continue
			}
			add(CodeTenantFKUnscoped, colObject(t, fk.Columns), fmt.Sprintf(
				"foreign key %s (%s) → %s (%s) does not carry %s, so a row may reference another tenant's row; reference (%s, …) on a unique (%s, …) key of %s instead",
				fk.Name, joinCols(fk.Columns), parent.Name, joinCols(fk.RefCols), tc, tc, tc, parent.Name))
		}
	}
	return out, nil
}

// carriesTenant reports whether fk maps the tenant column to the parent's tenant column.
func carriesTenant(fk Constraint, tc string) bool {
	i := slices.Index(fk.Columns, tc)
	return i >= 0 && i < len(fk.RefCols) && fk.RefCols[i] == tc
}

// anchoredTables finds the tables tied to the root by validated FKs on the tenant column,
// directly or through parents that are themselves tied (a fixed point). A composite FK
// ties only when it checks every row with the tenant column set (checksEveryRow): MATCH
// FULL, or its other columns NOT NULL; missing-fk follows the same rule.
func anchoredTables(cat *Catalog, p *governance.Policy, root *Table) map[uint32]bool {
	tc := p.Tenant.Column
	anchored := map[uint32]bool{}
	if root == nil {
		return anchored
	}
	for changed := true; changed; {
		changed = false
		for _, t := range cat.Tables {
			if anchored[t.OID] || t.IsPartition() || t.Column(tc) == nil {
				continue
			}
			for _, fk := range t.ForeignKeys() {
				if !fk.Validated || !checksEveryRow(t, &fk, []string{tc}) {
					continue
				}
				i := slices.Index(fk.Columns, tc)
				if i < 0 || i >= len(fk.RefCols) {
					continue
				}
				if fk.RefOID == root.OID || anchored[fk.RefOID] && fk.RefCols[i] == tc {
					anchored[t.OID] = true
					changed = true
					break
				}
			}
		}
	}
	return anchored
}
