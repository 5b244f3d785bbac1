package alembic

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is what the package queries: *pgxpool.Pool, *pgx.Conn and pgx.Tx satisfy it.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

var (
	_ DB = (*pgxpool.Pool)(nil)
	_ DB = (*pgx.Conn)(nil)
	_ DB = (pgx.Tx)(nil)
)

var (
	_ DB = (*pgxpool.Pool)(nil)
	_ DB = (*pgx.Conn)(nil)
	_ DB = (pgx.Tx)(nil)
)

// Status is where a database stands against the script directory, read from its
// alembic_version table.
type Status struct {
	// Current are the revisions in alembic_version (one per applied branch head),
	// sorted; empty when the table is absent or empty.
	Current []string
	// Applied are the known revisions the current ones include (themselves and
	// their ancestors), in apply order.
	Applied []*Revision
	// Pending are the revisions not applied yet, in apply order: what `alembic
	// upgrade heads` would run. When Unknown is not empty the ancestry of the
	// unknown revisions cannot be read, so Pending may list revisions the database
	// already has.
	Pending []*Revision
	// Unknown are current revisions the script directory does not have (drift: the
	// database was migrated by a newer build or from another branch).
	Unknown []string
	// Heads are the directory's head revisions.
	Heads []string
	// VersionTable reports whether the alembic_version table exists.
	VersionTable bool
}

// AtHead reports whether the database is exactly at the directory's head(s): nothing
// pending and nothing unknown.
func (s *Status) AtHead() bool { return len(s.Pending) == 0 && len(s.Unknown) == 0 }

// Status reads alembic_version (Config.VersionTable) and compares it with the
// directory. A missing table means nothing is applied. It returns a *[GraphError]
// when the graph has a cycle or a dangling reference. It runs only reads, so db may
// be a caller's transaction.
func (p *Project) Status(ctx context.Context, db DB) (*Status, error) {
	if err := p.graph.Err(); err != nil {
		return nil, err
	}
	current, exists, err := p.currentRevisions(ctx, db)
	if err != nil {
		return nil, err
	}
	st := &Status{Current: current, Heads: p.graph.HeadIDs(), VersionTable: exists}
	var known []*Revision
	for _, id := range current {
		if r := p.byID[id]; r != nil {
			known = append(known, r)
		} else {
			st.Unknown = append(st.Unknown, id)
		}
	}
	applied := p.graph.ancestors(known)
	for _, r := range p.graph.Order {
		if applied[r] {
			st.Applied = append(st.Applied, r)
		} else {
			st.Pending = append(st.Pending, r)
		}
	}
	return st, nil
}

// currentRevisions reads the version table; exists is false when it is absent.
func (p *Project) currentRevisions(ctx context.Context, db DB) (ids []string, exists bool, err error) {
	// to_regclass instead of catching 42P01, so that a caller's transaction is not
	// aborted when the table is absent; the regclass text is the quoted name.
	name := "quote_ident($1)"
	args := []any{p.cfg.VersionTable}
	if p.cfg.VersionTableSchema != "" {
		name = "quote_ident($2) || '.' || quote_ident($1)"
		args = append(args, p.cfg.VersionTableSchema)
	}
	var table *string
	if err := db.QueryRow(ctx, "SELECT to_regclass("+name+")::text", args...).Scan(&table); err != nil {
		return nil, false, fmt.Errorf("alembic: look up %s: %w", p.cfg.VersionTable, err)
	}
	if table == nil {
		return nil, false, nil
	}
	rows, err := db.Query(ctx, "SELECT version_num::text FROM "+*table+" ORDER BY 1")
	if err != nil {
		return nil, true, fmt.Errorf("alembic: read %s: %w", *table, err)
	}
	ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, true, fmt.Errorf("alembic: read %s: %w", *table, err)
	}
	return slices.Compact(ids), true, nil
}

// RequireHead returns nil when the database is exactly at the head revision(s) of
// the project, and a *[NotAtHeadError] otherwise (it wraps [ErrPending] and/or
// [ErrUnknownRevision] and lists the revisions): a service calls it at start-up and
// refuses to start on an error. A graph that cannot be ordered is a *[GraphError].
//
//	proj, err := alembic.OpenFS(migrationsFS, alembic.Config{})
//	…
//	if err := alembic.RequireHead(ctx, pool, proj); err != nil {
//		return err // names the pending or unknown revisions
//	}
func RequireHead(ctx context.Context, db DB, p *Project) error {
	st, err := p.Status(ctx, db)
	if err != nil {
		return err
	}
	if st.AtHead() {
		return nil
	}
	return &NotAtHeadError{Current: st.Current, Heads: st.Heads, Pending: st.Pending, Unknown: st.Unknown}
}
