// Package softdelete tells the library's readers which tenants are soft-deleted, so that
// views and the library's own tenant-scoped queries can leave their data out (policy §8:
// a soft-deleted tenant is invisible to the running service until it is purged).
//
// # What marks a tenant soft-deleted
//
// A tenant is soft-deleted when its row in the tenants table (policy tenant.table) has
// deleted_at set. retention's SoftDelete sets it in the same transaction that opens the
// offboarding record, and an application that soft-deletes by setting deleted_at is
// covered too. A tenants table without a deleted_at column falls back to the library's
// own record, package retention's offboarding table in the policy's SDK schema
// "retention" (lsos_retention.offboarding with the default sdk.prefix; every state:
// soft-deleted, hard-deleting, purged). A database with neither has no soft-deleted
// tenants: [Discover] returns nil.
package softdelete

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/dbx"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// Column is the tenants table column that marks a soft-deleted tenant.
const Column = "deleted_at"

// OffboardingTable returns package retention's offboarding record under policy p (the
// marker of a tenants table without deleted_at): "offboarding" in p.SDKSchema("retention"),
// lsos_retention.offboarding with the default sdk.prefix.
func OffboardingTable(p *governance.Policy) sqlident.Name {
	return sqlident.Name{Schema: p.SDKSchema("retention"), Name: "offboarding"}
}

// IsSDKSchema reports whether schema belongs to the SDK, for the catalogs that leave the
// SDK's bookkeeping out: the policy's sdk.prefix and sdk.schemas
// ([governance.Policy.IsSDKSchema]). Packages retention, archive and integrity create
// their schemas under the policy's prefix, so a schema that merely starts with the
// default prefix lsos_ is the application's under another prefix.
func IsSDKSchema(p *governance.Policy, schema string) bool {
	return p.IsSDKSchema(schema)
}

// Marker says how one database marks soft-deleted tenants.
type Marker struct {
	// Tenants is the tenants table; Key its single-column primary key, of type KeyType
	// (format_type).
	Tenants sqlident.Name
	Key     string
	KeyType string
	// DeletedAt is true when Tenants has a deleted_at column (the marker); false when
	// Offboarding is the marker.
	DeletedAt bool
	// Offboarding is package retention's offboarding table under the policy
	// ([OffboardingTable]).
	Offboarding sqlident.Name
}

// Discover finds the marker of db for the policy's tenants table (p.Tenant.Table:
// "tenants" or "schema.tenants"; an unqualified name matches the first schema in name
// order, the SDK's own schemas ([IsSDKSchema]) excluded, as package retention's catalog
// does). It returns nil when nothing can mark a tenant soft-deleted: no tenants table
// with a single-column primary key, or one without deleted_at while the policy's
// retention schema (lsos_retention by default) is not installed. A nil p is the default
// policy.
func Discover(ctx context.Context, db dbx.DB, p *governance.Policy) (*Marker, error) {
	if p == nil {
		p = governance.Default()
	}
	offboarding := OffboardingTable(p)
	tenantsTable := p.Tenant.Table
	n, err := sqlident.Parse(tenantsTable, "")
	if err != nil {
		return nil, fmt.Errorf("softdelete: tenant table %q: %w", tenantsTable, err)
	}
	rows, err := db.Query(ctx, `
		SELECT n.nspname, c.relname,
		       (SELECT a.attname FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
		         WHERE k.conrelid = c.oid AND k.contype = 'p' AND cardinality(k.conkey) = 1),
		       (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
		         WHERE k.conrelid = c.oid AND k.contype = 'p' AND cardinality(k.conkey) = 1),
		       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped),
		       to_regclass($4) IS NOT NULL
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname = $1 AND ($2 = '' OR n.nspname = $2)
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
		ORDER BY n.nspname`, n.Name, n.Schema, Column, offboarding.Quoted())
	if err != nil {
		return nil, fmt.Errorf("softdelete: find the tenants table: %w", err)
	}
	defer rows.Close()
	var m Marker
	var key, keyType *string
	var hasOffboarding, found bool
	for rows.Next() {
		var c Marker
		var k, kt *string
		var ob bool
		if err := rows.Scan(&c.Tenants.Schema, &c.Tenants.Name, &k, &kt, &c.DeletedAt, &ob); err != nil {
			return nil, fmt.Errorf("softdelete: find the tenants table: %w", err)
		}
		if IsSDKSchema(p, c.Tenants.Schema) {
			continue
		}
		m, key, keyType, hasOffboarding, found = c, k, kt, ob, true
		break
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("softdelete: find the tenants table: %w", err)
	}
	rows.Close()
	if !found {
		return nil, nil
	}
	if key == nil {
		return nil, nil
	}
	m.Key, m.KeyType, m.Offboarding = *key, *keyType, offboarding
	if !m.DeletedAt && !hasOffboarding {
		return nil, nil
	}
	return &m, nil
}

// Live returns a SQL condition true when the row whose tenant column is the SQL
// expression col (already quoted, e.g. `x."tenant_id"`) belongs to no soft-deleted
// tenant. colType is the column's format_type: when it equals the key's type the
// comparison uses it (indexes apply), else both sides are compared as text. A NULL
// tenant (a global row) is live. The condition is an anti-join, never NOT IN, so NULLs
// cannot turn it into "no rows".
func (m *Marker) Live(col, colType string) string {
	if m == nil {
		return "true"
	}
	if !m.DeletedAt {
		return "NOT EXISTS (SELECT 1 FROM " + m.Offboarding.Quoted() + " lsos_sd WHERE lsos_sd.tenant_id = (" + col + ")::text)"
	}
	key := "lsos_sd." + sqlident.Quote(m.Key)
	rhs := col
	if colType != m.KeyType {
		key, rhs = key+"::text", "("+col+")::text"
	}
	return "NOT EXISTS (SELECT 1 FROM " + m.Tenants.Quoted() + " lsos_sd WHERE " + key + " = " + rhs +
		" AND lsos_sd." + sqlident.Quote(Column) + " IS NOT NULL)"
}

// IDsSQL is a query returning the soft-deleted tenant ids as text.
func (m *Marker) IDsSQL() string {
	if !m.DeletedAt {
		return "SELECT tenant_id FROM " + m.Offboarding.Quoted()
	}
	return "SELECT " + sqlident.Quote(m.Key) + "::text FROM " + m.Tenants.Quoted() + " WHERE " + sqlident.Quote(Column) + " IS NOT NULL"
}

// IDs returns the soft-deleted tenant ids (text form). A nil marker has none.
func (m *Marker) IDs(ctx context.Context, db dbx.DB) (map[string]bool, error) {
	out := map[string]bool{}
	if m == nil {
		return out, nil
	}
	rows, err := db.Query(ctx, m.IDsSQL())
	if err != nil {
		return nil, fmt.Errorf("softdelete: read soft-deleted tenants: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("softdelete: read soft-deleted tenants: %w", err)
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// Source describes the marker for reports: "public.tenants.deleted_at" or
// "lsos_retention.offboarding" (the policy's retention schema).
func (m *Marker) Source() string {
	if m == nil {
		return "none"
	}
	if !m.DeletedAt {
		return m.Offboarding.String()
	}
	return m.Tenants.String() + "." + Column
}
