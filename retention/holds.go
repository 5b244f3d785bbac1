package retention

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// Errors callers can test with errors.Is.
var (
	// ErrHeld is wrapped by [HeldError]: a legal hold forbids the action.
	ErrHeld = errors.New("retention: blocked by a legal hold")
	// ErrNotInstalled means the package's schema (the policy's SDK schema "retention",
	// lsos_retention by default) is missing: call [Bookkeeping.Install]. The error
	// returned wraps it and names the schema.
	ErrNotInstalled = errors.New("retention: the SDK's retention schema is not installed; call retention.Install (or govctl retention install) first")
	// ErrHoldNotFound is returned by ReleaseHold for an unknown or already released hold.
	ErrHoldNotFound = errors.New("retention: no active legal hold with that id")
)

// Hold is a legal hold: while active it blocks archival drop and hard deletion of the
// data it covers. A hold scopes by tenant, by table, or both (a table hold covers the
// table's partitions too).
//
// The table is stored as its exact schema and name (TableSchema, TableName); Table is
// for display: "schema.name", quoted as SQL spells it (`public."a.b"`) when a part
// holds a dot or a double quote, so that it never reads as another table.
type Hold struct {
	ID          int64      `json:"id"`
	TenantID    string     `json:"tenant_id,omitempty"`
	Table       string     `json:"table,omitempty"`
	TableSchema string     `json:"table_schema,omitempty"`
	TableName   string     `json:"table_name,omitempty"`
	Reason      string     `json:"reason"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	From        time.Time  `json:"from"`
	Until       *time.Time `json:"until,omitempty"`
	ReleasedAt  *time.Time `json:"released_at,omitempty"`
	ReleasedBy  string     `json:"released_by,omitempty"`
}

// TableIdent returns the exact name of the held table; ok is false for a hold without a
// table.
func (h Hold) TableIdent() (n governance.QualifiedName, ok bool) {
	if h.TableName == "" {
		return governance.QualifiedName{}, false
	}
	return governance.QualifiedName{Schema: h.TableSchema, Name: h.TableName}, true
}

// displayName renders n as schema.name, quoting it as SQL does when a part holds a dot
// or a double quote (the plain text would name another table or not parse).
func displayName(n governance.QualifiedName) string {
	if strings.ContainsAny(n.Schema, `."`) || strings.ContainsAny(n.Name, `."`) {
		return n.Quoted()
	}
	return n.String()
}

// Scope renders what the hold covers, e.g. "tenant 2, table public.audit_log".
func (h Hold) Scope() string {
	var s []string
	if h.TenantID != "" {
		s = append(s, "tenant "+h.TenantID)
	}
	if h.Table != "" {
		s = append(s, "table "+h.Table)
	}
	return strings.Join(s, ", ")
}

// ActiveAt reports whether the hold is in force at t.
func (h Hold) ActiveAt(t time.Time) bool {
	return !h.From.After(t) && (h.Until == nil || h.Until.After(t)) && (h.ReleasedAt == nil || h.ReleasedAt.After(t))
}

// HoldSpec describes a new hold. At least one of TenantID and a table (Table or Name) is
// required; Reason and By (who placed it) are required; From defaults to now, Until to
// open-ended.
type HoldSpec struct {
	TenantID string
	// Table is SQL text, "table" or "schema.table" (public by default): unquoted parts
	// fold to lower case and a dot separates schema from table, so a name holding a dot,
	// a quote or capitals must be quoted (`public."a.b"`, governance.QualifiedName.Quoted).
	Table string
	// Name is the exact table name (an empty Schema means public), for callers holding
	// a name read from the catalog; set Table or Name, not both.
	Name   governance.QualifiedName
	Reason string
	By     string
	From   time.Time
	Until  time.Time
}

// HeldError lists the holds that blocked an action.
type HeldError struct {
	Action string // e.g. "drop partition public.ranking_snapshots_2025_01"
	Holds  []Hold
}

func (e *HeldError) Error() string {
	ids := make([]string, len(e.Holds))
	for i, h := range e.Holds {
		ids[i] = fmt.Sprintf("%d (%s)", h.ID, h.Scope())
	}
	return fmt.Sprintf("retention: %s is blocked by legal hold %s; release the hold(s) when the legal matter ends", e.Action, strings.Join(ids, ", "))
}

// Unwrap makes errors.Is(err, ErrHeld) true.
func (e *HeldError) Unwrap() error { return ErrHeld }

// HoldIDs returns the ids of holds.
func HoldIDs(holds []Hold) []int64 {
	out := make([]int64, len(holds))
	for i, h := range holds {
		out[i] = h.ID
	}
	return out
}

// AddHold is For(nil).AddHold: the default policy's schema (lsos_retention).
func AddHold(ctx context.Context, db DB, s HoldSpec) (Hold, error) {
	return For(nil).AddHold(ctx, db, s)
}

// AddHold places a legal hold and returns it with its id.
func (b Bookkeeping) AddHold(ctx context.Context, db DB, s HoldSpec) (Hold, error) {
	hasName := s.Name != (governance.QualifiedName{})
	if s.TenantID == "" && s.Table == "" && !hasName {
		return Hold{}, fmt.Errorf("retention: add hold: give a tenant, a table or both (a hold must say what it covers)")
	}
	if strings.TrimSpace(s.Reason) == "" || strings.TrimSpace(s.By) == "" {
		return Hold{}, fmt.Errorf("retention: add hold: reason and who placed it (by) are required for the record")
	}
	var schema, table *string
	switch {
	case s.Table != "" && hasName:
		return Hold{}, fmt.Errorf("retention: add hold: set Table (SQL text) or Name (exact name), not both")
	case s.Table != "" || hasName:
		n := s.Name
		if s.Table != "" {
			var err error
			if n, err = sqlident.Parse(s.Table, "public"); err != nil {
				return Hold{}, fmt.Errorf("retention: add hold: table (quote a name that has capitals, quotes or dots: public.\"a.b\"): %w", err)
			}
		}
		if n.Schema == "" {
			n.Schema = "public"
		}
		if err := sqlident.Check(n.Schema); err != nil {
			return Hold{}, fmt.Errorf("retention: add hold: schema: %w", err)
		}
		if err := sqlident.Check(n.Name); err != nil {
			return Hold{}, fmt.Errorf("retention: add hold: table: %w", err)
		}
		schema, table = &n.Schema, &n.Name
	}
	if s.From.IsZero() {
		s.From = time.Now()
	}
	if !s.Until.IsZero() && !s.Until.After(s.From) {
		return Hold{}, fmt.Errorf("retention: add hold: until (%s) must be after from (%s)", s.Until.Format(time.RFC3339), s.From.Format(time.RFC3339))
	}
	if err := b.requireInstalled(ctx, db); err != nil {
		return Hold{}, err
	}
	rows, err := db.Query(ctx, `INSERT INTO `+b.table("legal_holds")+` (tenant_id, table_schema, table_name, reason, created_by, active_from, active_until)
		VALUES (nullif($1, ''), $2, $3, $4, $5, $6, $7) RETURNING `+holdCols, s.TenantID, schema, table, s.Reason, s.By, s.From, nullTime(s.Until))
	if err != nil {
		return Hold{}, fmt.Errorf("retention: add hold: %w", err)
	}
	hs, err := scanHolds(rows)
	if err != nil || len(hs) != 1 {
		return Hold{}, fmt.Errorf("retention: add hold: %w", err)
	}
	return hs[0], nil
}

// ListOptions filter ListHolds. The zero value lists every hold, released ones included.
type ListOptions struct {
	ActiveAt time.Time // non-zero: only holds in force at this instant
	TenantID string
}

// ListHolds is For(nil).ListHolds: the default policy's schema (lsos_retention).
func ListHolds(ctx context.Context, db DB, o ListOptions) ([]Hold, error) {
	return For(nil).ListHolds(ctx, db, o)
}

// ListHolds lists holds by id.
func (b Bookkeeping) ListHolds(ctx context.Context, db DB, o ListOptions) ([]Hold, error) {
	if err := b.requireInstalled(ctx, db); err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT `+holdCols+` FROM `+b.table("legal_holds")+`
		WHERE ($1::timestamptz IS NULL OR (active_from <= $1 AND (active_until IS NULL OR active_until > $1) AND (released_at IS NULL OR released_at > $1)))
		  AND ($2 = '' OR tenant_id = $2)
		ORDER BY id`, nullTime(o.ActiveAt), o.TenantID)
	if err != nil {
		return nil, fmt.Errorf("retention: list holds: %w", err)
	}
	return scanHolds(rows)
}

// ReleaseHold is For(nil).ReleaseHold: the default policy's schema (lsos_retention).
func ReleaseHold(ctx context.Context, db DB, id int64, by string, at time.Time) error {
	return For(nil).ReleaseHold(ctx, db, id, by, at)
}

// ReleaseHold ends hold id at at, recording who released it. Holds are never deleted.
func (b Bookkeeping) ReleaseHold(ctx context.Context, db DB, id int64, by string, at time.Time) error {
	if strings.TrimSpace(by) == "" {
		return fmt.Errorf("retention: release hold %d: say who releases it (by)", id)
	}
	if err := b.requireInstalled(ctx, db); err != nil {
		return err
	}
	tag, err := db.Exec(ctx, `UPDATE `+b.table("legal_holds")+` SET released_at = $2, released_by = $3
		WHERE id = $1 AND released_at IS NULL`, id, at, by)
	if err != nil {
		return fmt.Errorf("retention: release hold %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %d (list holds to see their ids)", ErrHoldNotFound, id)
	}
	return nil
}

// HoldsBlocking returns the holds in force at at that cover table for any of tenantIDs:
// the tenants whose data the action touches. table is SQL text, "table" or
// "schema.table" (public by default): unquoted parts fold to lower case, so a name that
// needs quotes must be quoted (`public."Snap_2024_02"`, governance.QualifiedName.Quoted). A name
// that does not parse is an error, never "no hold". See [Bookkeeping.HoldsBlockingName].
func (b Bookkeeping) HoldsBlocking(ctx context.Context, db DB, table string, tenantIDs []string, at time.Time) ([]Hold, error) {
	n, err := sqlident.Parse(table, "public")
	if err != nil {
		return nil, fmt.Errorf("retention: holds for %q (quote a name that has capitals, quotes, dots or spaces): %w", table, err)
	}
	return b.HoldsBlockingName(ctx, db, n, tenantIDs, at)
}

// HoldsBlocking is For(nil).HoldsBlocking: the default policy's schema (lsos_retention).
func HoldsBlocking(ctx context.Context, db DB, table string, tenantIDs []string, at time.Time) ([]Hold, error) {
	return For(nil).HoldsBlocking(ctx, db, table, tenantIDs, at)
}

// HoldsBlockingName is For(nil).HoldsBlockingName: the default policy's schema
// (lsos_retention).
func HoldsBlockingName(ctx context.Context, db DB, n governance.QualifiedName, tenantIDs []string, at time.Time) ([]Hold, error) {
	return For(nil).HoldsBlockingName(ctx, db, n, tenantIDs, at)
}

// HoldsBlockingName is [Bookkeeping.HoldsBlocking] for an exact name (as read from the catalog): a
// partition is covered by holds on it and on its ancestors, matched by exact,
// case-sensitive schema and name (compared separately, so the table "a.b" of public and
// the table b of schema a are different tables). A hold without a tenant covers every tenant; a hold without a
// table covers every table. When the schema is not installed there can be no holds and
// the result is empty.
func (b Bookkeeping) HoldsBlockingName(ctx context.Context, db DB, n governance.QualifiedName, tenantIDs []string, at time.Time) ([]Hold, error) {
	if n.Schema == "" {
		n.Schema = "public"
	}
	if err := sqlident.Check(n.Schema); err != nil {
		return nil, fmt.Errorf("retention: holds for %s: schema: %w", n, err)
	}
	if err := sqlident.Check(n.Name); err != nil {
		return nil, fmt.Errorf("retention: holds for %s: %w", n, err)
	}
	ok, err := b.installed(ctx, db)
	if err != nil || !ok {
		return nil, err
	}
	if tenantIDs == nil {
		tenantIDs = []string{}
	}
	rows, err := db.Query(ctx, `
		WITH names AS (
			SELECT n.nspname::text AS sch, c.relname::text AS rel
			FROM pg_partition_ancestors(to_regclass($1)) a
			JOIN pg_class c ON c.oid = a.relid JOIN pg_namespace n ON n.oid = c.relnamespace
			UNION SELECT $2::text, $3::text
		)
		SELECT `+holdCols+` FROM `+b.table("legal_holds")+`
		WHERE active_from <= $4 AND (active_until IS NULL OR active_until > $4) AND (released_at IS NULL OR released_at > $4)
		  AND (table_name IS NULL
		       OR (table_schema, table_name) IN (SELECT sch, rel FROM names)
		       -- a row written in the 0001 format by an older release: schema.name text
		       OR (table_schema IS NULL AND table_name IN (SELECT sch || '.' || rel FROM names)))
		  AND (tenant_id IS NULL OR tenant_id = ANY($5::text[]))
		ORDER BY id`, n.Quoted(), n.Schema, n.Name, at, tenantIDs)
	if err != nil {
		return nil, fmt.Errorf("retention: holds for %s: %w", n, err)
	}
	return scanHolds(rows)
}

const holdCols = `id, coalesce(tenant_id, ''), coalesce(table_schema, ''), coalesce(table_name, ''), reason, created_by, created_at, active_from, active_until, released_at, coalesce(released_by, '')`

func scanHolds(rows pgx.Rows) ([]Hold, error) {
	defer rows.Close()
	var out []Hold
	for rows.Next() {
		var h Hold
		if err := rows.Scan(&h.ID, &h.TenantID, &h.TableSchema, &h.TableName, &h.Reason, &h.CreatedBy, &h.CreatedAt, &h.From, &h.Until, &h.ReleasedAt, &h.ReleasedBy); err != nil {
			return nil, err
		}
		switch {
		case h.TableName == "":
		case h.TableSchema == "":
			// Written in the 0001 format (schema.name text) by an older release after
			// this one migrated: shown as written, matched by that text.
			h.Table = h.TableName
			if sch, rel, ok := strings.Cut(h.TableName, "."); ok {
				h.TableSchema, h.TableName = sch, rel
			}
		default:
			h.Table = displayName(governance.QualifiedName{Schema: h.TableSchema, Name: h.TableName})
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func (b Bookkeeping) requireInstalled(ctx context.Context, db DB) error {
	ok, err := b.installed(ctx, db)
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	if !ok {
		return fmt.Errorf("%w (schema %s)", ErrNotInstalled, b.Schema())
	}
	return nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
