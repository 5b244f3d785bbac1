package retention

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/softdelete"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// externalReferrers lists the foreign keys from relations the catalog leaves out (the
// SDK's own schemas, softdelete.IsSDKSchema, e.g. a partition archive.Run kept detached in
// lsos_archive_detached) that reference tenant-owned tables and hold rows of tenant (or
// cannot tell, lacking the tenant column). A hard delete would fail on them half-way,
// so it refuses up front.
func externalReferrers(ctx context.Context, db DB, p *governance.Policy, cat *TableCatalog, tenant string) ([]string, error) {
	tenantColumn := p.Tenant.Column
	owned := map[governance.QualifiedName]bool{}
	for i := range cat.Tables {
		if t := &cat.Tables[i]; t.TenantColumn != "" || t.Root {
			owned[t.Name] = true
		}
	}
	rows, err := db.Query(ctx, `
		SELECT n.nspname, c.relname, con.conname, pn.nspname, pc.relname,
		       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $1 AND a.attnum > 0 AND NOT a.attisdropped)
		FROM pg_constraint con
		JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_class pc ON pc.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
		WHERE con.contype = 'f' AND n.nspname <> pn.nspname`, tenantColumn)
	if err != nil {
		return nil, fmt.Errorf("retention: read foreign keys of library schemas: %w", err)
	}
	type ref struct {
		child  governance.QualifiedName
		name   string
		parent governance.QualifiedName
		scoped bool
	}
	var refs []ref
	for rows.Next() {
		var r ref
		if err := rows.Scan(&r.child.Schema, &r.child.Name, &r.name, &r.parent.Schema, &r.parent.Name, &r.scoped); err != nil {
			rows.Close()
			return nil, err
		}
		if owned[r.parent] && softdelete.IsSDKSchema(p, r.child.Schema) && !softdelete.IsSDKSchema(p, r.parent.Schema) {
			refs = append(refs, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []string
	for _, r := range refs {
		if r.scoped {
			var has bool
			q := "SELECT EXISTS (SELECT 1 FROM " + r.child.Quoted() + " WHERE " + sqlident.Quote(tenantColumn) + "::text = $1)"
			if err := db.QueryRow(ctx, q, tenant).Scan(&has); err != nil {
				return nil, fmt.Errorf("retention: probe %s: %w", r.child, err)
			}
			if !has {
				continue
			}
		}
		out = append(out, fmt.Sprintf("%s (FK %s → %s)", r.child, r.name, r.parent))
	}
	sort.Strings(out)
	return out, nil
}

func externalError(tenant string, refs []string) error {
	return fmt.Errorf("retention: hard delete of tenant %s refused: %s reference the tenant's rows from a library schema (a partition archive kept detached?); "+
		"drop those foreign keys (an archived copy needs none), re-run the hard delete, then archive.PurgeTenant removes the tenant's rows from the kept copy with its archive",
		tenant, strings.Join(refs, ", "))
}
