package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// Partition is one partition to archive: the input of the lifecycle. Retention
// eligibility produces these; callers may also pass their own list.
type Partition struct {
	// Name is the partition, "schema.table".
	Name string
	// From and To are the range [From, To) (informational: the bounds recorded are read
	// from the catalog).
	From, To time.Time
}

// ColumnDef is a column of the archived partition as PostgreSQL defined it.
type ColumnDef struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	NotNull bool   `json:"not_null"`
}

// TenantRows is a tenant present in an archive with its row count.
type TenantRows struct {
	Tenant string `json:"tenant"`
	Rows   int64  `json:"rows"`
}

// partInfo is what the catalog says about a partition before it is archived.
type partInfo struct {
	oid         uint32
	name        governance.QualifiedName
	parent      governance.QualifiedName
	bounds      string
	columns     []ColumnDef
	indexes     []string
	constraints []string
	tenants     []TenantRows
}

// archiveID names an archive after the partition and its relation OID: stable across
// re-runs of the same partition, new when a restored copy is archived again.
func archiveID(name governance.QualifiedName, oid uint32) string {
	h := sha256.Sum256([]byte(name.String() + "#" + strconv.FormatUint(uint64(oid), 10)))
	return name.Name + "-" + hex.EncodeToString(h[:5])
}

// relOID returns the OID of the relation called name, or 0 when there is none.
func relOID(ctx context.Context, db DB, name governance.QualifiedName) (uint32, error) {
	var oid *uint32
	if err := db.QueryRow(ctx, `SELECT to_regclass($1)::oid`, name.Quoted()).Scan(&oid); err != nil {
		return 0, err
	}
	if oid == nil {
		return 0, nil
	}
	return *oid, nil
}

// parentOf returns the partition's parent and whether a detach is pending; ok is false
// when the relation is not (or no longer) a partition.
func parentOf(ctx context.Context, db DB, oid uint32) (parent governance.QualifiedName, pending, ok bool, err error) {
	err = db.QueryRow(ctx, `
		SELECT n.nspname, c.relname, i.inhdetachpending
		FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE i.inhrelid = $1`, oid).Scan(&parent.Schema, &parent.Name, &pending)
	if errors.Is(err, pgx.ErrNoRows) {
		return parent, false, false, nil
	}
	return parent, pending, err == nil, err
}

// describePartition reads a partition's bounds, columns, indexes, constraints and
// tenants (when tenantColumn is set and present).
func describePartition(ctx context.Context, db DB, oid uint32, tenantColumn string) (*partInfo, error) {
	pi := &partInfo{oid: oid}
	var bounds *string
	if err := db.QueryRow(ctx, `
		SELECT n.nspname, c.relname, pg_get_expr(c.relpartbound, c.oid)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1`, oid).
		Scan(&pi.name.Schema, &pi.name.Name, &bounds); err != nil {
		return nil, fmt.Errorf("read partition: %w", err)
	}
	parent, _, ok, err := parentOf(ctx, db, oid)
	if err != nil {
		return nil, err
	}
	if !ok || bounds == nil {
		return nil, fmt.Errorf("%s is not a partition", pi.name)
	}
	pi.parent, pi.bounds = parent, *bounds
	rows, err := db.Query(ctx, `
		SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute
		WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, oid)
	if err != nil {
		return nil, err
	}
	if pi.columns, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ColumnDef, error) {
		var c ColumnDef
		return c, r.Scan(&c.Name, &c.Type, &c.NotNull)
	}); err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	if rows, err = db.Query(ctx, `SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = $1 ORDER BY indexrelid::regclass::text`, oid); err != nil {
		return nil, err
	}
	if pi.indexes, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return nil, fmt.Errorf("read indexes: %w", err)
	}
	if rows, err = db.Query(ctx, `SELECT format('CONSTRAINT %I %s', conname, pg_get_constraintdef(oid)) FROM pg_constraint WHERE conrelid = $1 ORDER BY conname`, oid); err != nil {
		return nil, err
	}
	if pi.constraints, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return nil, fmt.Errorf("read constraints: %w", err)
	}
	if pi.tenants, err = tenantRows(ctx, db, pi.name, pi.columns, tenantColumn); err != nil {
		return nil, err
	}
	return pi, nil
}

// tenantRows counts the rows of table per tenant; nil when tenantColumn is empty or not
// one of cols.
func tenantRows(ctx context.Context, db DB, table governance.QualifiedName, cols []ColumnDef, tenantColumn string) ([]TenantRows, error) {
	if tenantColumn == "" || !slices.ContainsFunc(cols, func(c ColumnDef) bool { return c.Name == tenantColumn }) {
		return nil, nil
	}
	rows, err := db.Query(ctx, `SELECT `+sqlident.Quote(tenantColumn)+`::text, count(*) FROM `+table.Quoted()+` GROUP BY 1 ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TenantRows, error) {
		var t TenantRows
		var id *string
		err := r.Scan(&id, &t.Rows)
		if id != nil {
			t.Tenant = *id
		}
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("read tenants: %w", err)
	}
	return out, nil
}

// ddl is the statement that recreates the partition under its parent.
func (pi *partInfo) ddl() string {
	return "CREATE TABLE " + pi.name.Quoted() + " PARTITION OF " + pi.parent.Quoted() + " " + pi.bounds + ";"
}

// tableDDL is a standalone CREATE TABLE with the partition's columns.
func tableDDL(name governance.QualifiedName, cols []ColumnDef) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE " + name.Quoted() + " (")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(sqlident.Quote(c.Name) + " " + c.Type)
		if c.NotNull {
			b.WriteString(" NOT NULL")
		}
	}
	b.WriteString(")")
	return b.String()
}

// parseBounds reads "FOR VALUES FROM ('x') TO ('y')" of a single-column range
// partition into times (zero when MINVALUE/MAXVALUE or not a time).
func parseBounds(bounds string) (from, to time.Time) {
	const pre = "FOR VALUES FROM ("
	if !strings.HasPrefix(bounds, pre) {
		return
	}
	rest := bounds[len(pre):]
	i := strings.Index(rest, ") TO (")
	if i < 0 || !strings.HasSuffix(rest, ")") {
		return
	}
	return parseBoundValue(rest[:i]), parseBoundValue(rest[i+len(") TO (") : len(rest)-1])
}

func parseBoundValue(s string) time.Time {
	s = strings.Trim(s, "'")
	for _, l := range []string{"2006-01-02", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05.999999999-07", "2006-01-02 15:04:05.999999999-07:00"} {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t
		}
	}
	return time.Time{}
}
