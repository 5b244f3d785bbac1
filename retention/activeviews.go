package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/softdelete"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// ActiveViewsSchema is the default schema of the live-tenant views with the default
// policy: InstallActiveViews puts them in the policy's SDK schema "active"
// (p.SDKSchema("active")), which is ActiveViewsSchema for the default sdk.prefix.
const ActiveViewsSchema = "lsos_active"

// activeViewsLock names the transaction lock that serialises InstallActiveViews and
// DropActiveViews. It is a lock name, not an object: the same under every sdk.prefix, so
// that DropActiveViews, which takes no policy, excludes every InstallActiveViews.
const activeViewsLock = "lsos_retention.active_views"

// activeViewsPart names the SDK schema of the views: p.SDKSchema(activeViewsPart).
const activeViewsPart = "active"

// activeViewComment marks the views this package owns; only those are replaced or dropped.
const activeViewComment = "lsos:active-view of "

// ActiveViewOptions configure [InstallActiveViews] and [DropActiveViews].
type ActiveViewOptions struct {
	// Schema receives the views (InstallActiveViews' default: the policy's SDK schema
	// "active", lsos_active with the default sdk.prefix). It must not hold other objects
	// with the views' names. DropActiveViews with no Schema drops the views in every
	// schema that holds some.
	Schema string
	// Grant lists roles given USAGE on the schema and SELECT on every view, again on each
	// call (a view re-created after an incompatible column change loses its grants).
	// Views check privileges as the caller (security_invoker), so these roles also need
	// SELECT on the underlying tables and on the tenants table.
	Grant []string
	// Logger receives one line per view (nil: discard).
	Logger *slog.Logger
}

func (o ActiveViewOptions) withDefaults() (ActiveViewOptions, error) {
	if o.Schema == "" {
		o.Schema = ActiveViewsSchema
	}
	if err := sqlident.Check(o.Schema); err != nil {
		return o, fmt.Errorf("retention: active views: schema: %w", err)
	}
	for _, r := range o.Grant {
		if err := sqlident.Check(r); err != nil {
			return o, fmt.Errorf("retention: active views: grant role %q: %w", r, err)
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// ActiveView is one view and the table it reads.
type ActiveView struct {
	View  string `json:"view"`
	Table string `json:"table"`
	// Recreated is set when the view had to be dropped and created again because the
	// table's columns changed in a way CREATE OR REPLACE VIEW cannot follow.
	Recreated bool `json:"recreated,omitempty"`
}

// ActiveViews is what [InstallActiveViews] did.
type ActiveViews struct {
	Schema string `json:"schema"`
	// Marker says what marks a soft-deleted tenant: "<tenants table>.deleted_at" or
	// "lsos_retention.offboarding".
	Marker  string       `json:"marker"`
	Views   []ActiveView `json:"views"`
	Dropped []string     `json:"dropped,omitempty"` // views of tables that no longer exist
}

// InstallActiveViews creates, in a schema of their own (default p.SDKSchema("active"),
// lsos_active with the default policy), one view
// per tenant-owned table and one for the tenants table, each showing only the rows of
// tenants that are not soft-deleted:
//
//	CREATE OR REPLACE VIEW lsos_active.reviews WITH (security_barrier, security_invoker) AS
//	  SELECT x.* FROM public.reviews x
//	  WHERE NOT EXISTS (SELECT 1 FROM public.tenants d WHERE d.id = x.tenant_id AND d.deleted_at IS NOT NULL)
//
// Views of tables in public keep the table's name; others are named schema_table. The
// views check privileges as the querying role (security_invoker, PostgreSQL 15 or later),
// so they never let a role read what it could not read from the tables, and are
// security barriers, so a caller's leaky function cannot see the rows they hide. The
// filter is evaluated at query time: soft-deleting a tenant needs no re-install.
//
// It is idempotent and safe to call from several deployers at once (advisory lock, one
// transaction). Call it after every migration run: SELECT * is expanded when a view is
// created, so new columns appear only after a new call, and views of dropped tables are
// dropped by it. A migration that drops or changes the type of a column a view shows
// fails while the view exists: run [DropActiveViews] before such migrations (or drop the
// one view in the migration) and InstallActiveViews after.
func InstallActiveViews(ctx context.Context, db TxDB, p *governance.Policy, opts ActiveViewOptions) (*ActiveViews, error) {
	if p == nil {
		return nil, fmt.Errorf("retention: active views: nil policy (pass governance.Default() or a loaded policy)")
	}
	if opts.Schema == "" {
		opts.Schema = p.SDKSchema(activeViewsPart)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	var version int
	if err := db.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		return nil, fmt.Errorf("retention: active views: %w", err)
	}
	if version < 150000 {
		return nil, fmt.Errorf("retention: active views need PostgreSQL 15 or later (security_invoker views); the server is %d", version)
	}
	if err := For(p).Install(ctx, db); err != nil {
		return nil, err
	}
	cat, err := Catalog(ctx, db, p)
	if err != nil {
		return nil, err
	}
	marker, err := softdelete.Discover(ctx, db, p)
	if err != nil {
		return nil, fmt.Errorf("retention: active views: %w", err)
	}
	if marker == nil || cat.TenantTable == nil {
		return nil, fmt.Errorf("retention: active views: no tenants table %q with a single-column primary key; set tenant.table in the policy", p.Tenant.Table)
	}
	type plan struct {
		view  governance.QualifiedName
		table *Table
		sql   string
	}
	var plans []plan
	byView := map[string]string{}
	for i := range cat.Tables {
		t := &cat.Tables[i]
		col := t.TenantColumn
		if t.Root {
			col = cat.TenantKey
		}
		if col == "" || (t.Global && !t.Root) {
			continue
		}
		name := t.Name.Name
		if t.Name.Schema != "public" {
			name = t.Name.Schema + "_" + t.Name.Name
		}
		if err := sqlident.Check(name); err != nil {
			return nil, fmt.Errorf("retention: active views: view name for %s: %w", t.Key(), err)
		}
		if other, dup := byView[name]; dup {
			return nil, fmt.Errorf("retention: active views: %s and %s would share the view name %s; rename one table", other, t.Key(), name)
		}
		byView[name] = t.Key()
		live := marker.Live("x."+sqlident.Quote(col), columnType(ctx, db, t, col))
		v := governance.QualifiedName{Schema: opts.Schema, Name: name}
		plans = append(plans, plan{view: v, table: t, sql: "VIEW " + v.Quoted() + " WITH (security_barrier = true, security_invoker = true) AS SELECT x.* FROM " +
			t.Name.Quoted() + " x WHERE " + live})
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("retention: active views: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('`+activeViewsLock+`'))`); err != nil {
		return nil, fmt.Errorf("retention: active views: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+sqlident.Quote(opts.Schema)); err != nil {
		return nil, fmt.Errorf("retention: active views: %w (the role needs CREATE on the database)", err)
	}
	owned, err := ownedViews(ctx, tx, opts.Schema)
	if err != nil {
		return nil, err
	}
	res := &ActiveViews{Schema: opts.Schema, Marker: marker.Source()}
	for _, pl := range plans {
		av := ActiveView{View: pl.view.String(), Table: pl.table.Key()}
		if err := refuseForeign(ctx, tx, pl.view, owned); err != nil {
			return nil, err
		}
		sp, err := tx.Begin(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := sp.Exec(ctx, "CREATE OR REPLACE "+pl.sql); err != nil {
			_ = sp.Rollback(ctx)
			if owned[pl.view.Name] == "" {
				return nil, fmt.Errorf("retention: active views: create %s: %w", pl.view, err)
			}
			// The table's columns changed (dropped, renamed or retyped): CREATE OR REPLACE
			// cannot follow, so the view is created again (its grants are re-applied below).
			if _, err := tx.Exec(ctx, "DROP VIEW "+pl.view.Quoted()); err != nil {
				return nil, fmt.Errorf("retention: active views: re-create %s: %w (drop the objects that depend on it, or drop them with the view)", pl.view, err)
			}
			if _, err := tx.Exec(ctx, "CREATE "+pl.sql); err != nil {
				return nil, fmt.Errorf("retention: active views: create %s: %w", pl.view, err)
			}
			av.Recreated = true
		} else if err := sp.Commit(ctx); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, "COMMENT ON VIEW "+pl.view.Quoted()+" IS "+sqlident.QuoteLiteral(activeViewComment+pl.table.Key())); err != nil {
			return nil, fmt.Errorf("retention: active views: comment %s: %w", pl.view, err)
		}
		for _, r := range opts.Grant {
			if _, err := tx.Exec(ctx, "GRANT SELECT ON "+pl.view.Quoted()+" TO "+sqlident.Quote(r)); err != nil {
				return nil, fmt.Errorf("retention: active views: grant %s to %s: %w", pl.view, r, err)
			}
		}
		opts.Logger.Info("active view", "view", av.View, "table", av.Table, "recreated", av.Recreated)
		res.Views = append(res.Views, av)
	}
	for _, r := range opts.Grant {
		if _, err := tx.Exec(ctx, "GRANT USAGE ON SCHEMA "+sqlident.Quote(opts.Schema)+" TO "+sqlident.Quote(r)); err != nil {
			return nil, fmt.Errorf("retention: active views: grant schema %s to %s: %w", opts.Schema, r, err)
		}
	}
	for name := range owned {
		if _, keep := byView[name]; keep {
			continue
		}
		v := governance.QualifiedName{Schema: opts.Schema, Name: name}
		if _, err := tx.Exec(ctx, "DROP VIEW "+v.Quoted()); err != nil {
			return nil, fmt.Errorf("retention: active views: drop %s (its table %s is gone): %w", v, owned[name], err)
		}
		res.Dropped = append(res.Dropped, v.String())
	}
	slices.Sort(res.Dropped)
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("retention: active views: %w", err)
	}
	return res, nil
}

// DropActiveViews drops the views [InstallActiveViews] created (and only those): run it
// before a migration that drops or retypes columns of tenant-owned tables, and
// InstallActiveViews after. Without opts.Schema it drops them in every schema that
// holds some (wherever the policy's sdk.prefix put them); with it, in that schema only.
// It returns the views dropped.
func DropActiveViews(ctx context.Context, db TxDB, opts ActiveViewOptions) ([]string, error) {
	everywhere := opts.Schema == ""
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("retention: drop active views: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('`+activeViewsLock+`'))`); err != nil {
		return nil, fmt.Errorf("retention: drop active views: lock: %w", err)
	}
	schemas := []string{opts.Schema}
	if everywhere {
		rows, err := tx.Query(ctx, `SELECT DISTINCT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind = 'v' AND obj_description(c.oid, 'pg_class') LIKE $1 || '%' ORDER BY 1`, activeViewComment)
		if err != nil {
			return nil, fmt.Errorf("retention: drop active views: find them: %w", err)
		}
		if schemas, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return nil, fmt.Errorf("retention: drop active views: find them: %w", err)
		}
	}
	var out []string
	for _, schema := range schemas {
		owned, err := ownedViews(ctx, tx, schema)
		if err != nil {
			return nil, err
		}
		for name := range owned {
			v := governance.QualifiedName{Schema: schema, Name: name}
			if _, err := tx.Exec(ctx, "DROP VIEW "+v.Quoted()); err != nil {
				return nil, fmt.Errorf("retention: drop active views: %s: %w (drop the objects that depend on it first)", v, err)
			}
			out = append(out, v.String())
		}
	}
	slices.Sort(out)
	return out, tx.Commit(ctx)
}

// ownedViews maps the names of the views in schema that this package created to the
// table each reads.
func ownedViews(ctx context.Context, db DB, schema string) (map[string]string, error) {
	rows, err := db.Query(ctx, `SELECT c.relname, obj_description(c.oid, 'pg_class')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'v' AND obj_description(c.oid, 'pg_class') LIKE $2 || '%'`, schema, activeViewComment)
	if err != nil {
		return nil, fmt.Errorf("retention: active views: read %s: %w", schema, err)
	}
	out := map[string]string{}
	for rows.Next() {
		var name, comment string
		if err := rows.Scan(&name, &comment); err != nil {
			rows.Close()
			return nil, err
		}
		out[name] = strings.TrimPrefix(comment, activeViewComment)
	}
	rows.Close()
	return out, rows.Err()
}

// refuseForeign stops before replacing a relation of the same name that this package
// did not create (a user's own view or table in the schema).
func refuseForeign(ctx context.Context, db DB, v governance.QualifiedName, owned map[string]string) error {
	if owned[v.Name] != "" {
		return nil
	}
	var exists bool
	if err := db.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, v.Quoted()).Scan(&exists); err != nil {
		return fmt.Errorf("retention: active views: %w", err)
	}
	if exists {
		return fmt.Errorf("retention: active views: %s exists and was not created by InstallActiveViews; rename it or choose another ActiveViewOptions.Schema", v)
	}
	return nil
}

// columnType is the format_type of column col of t ("" when unknown).
func columnType(ctx context.Context, db DB, t *Table, col string) string {
	var typ string
	err := db.QueryRow(ctx, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped`,
		t.Name.Quoted(), col).Scan(&typ)
	if errors.Is(err, pgx.ErrNoRows) || err != nil {
		return ""
	}
	return typ
}
