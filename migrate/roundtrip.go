package migrate

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/lsos/lsosgov/internal/schemasnap"
)

// RoundTripError reports a rollback that does not restore the schema.
type RoundTripError struct {
	Version string
	Name    string
	Diff    string // go-cmp diff: -before the forward file, +after the rollback
}

func (e *RoundTripError) Error() string {
	return fmt.Sprintf("migrate: %s_%s.down.sql does not restore the schema as it was before %s_%s.up.sql; make the rollback undo every change (-before up, +after down):\n%s",
		e.Version, e.Name, e.Version, e.Name, e.Diff)
}

// Test is the local up/down migration test of policy §3: on a database where no
// version is applied, it applies every version in turn, snapshotting the schema before
// each; then rolls back one version at a time, checking after each rollback that the
// schema equals the snapshot taken before that version's forward file; then applies
// everything again (proving the rollbacks leave a state the forward files accept).
// Snapshots are taken with [schemasnap] over every non-system schema except the
// revisions schema. db must be a *pgxpool.Pool or *pgx.Conn.
func Test(ctx context.Context, db DB, dir *Dir) error {
	m, err := NewMigrator(db, dir, Config{})
	if err != nil {
		return err
	}
	revs, _, err := readRevisions(ctx, db, m.t)
	if err != nil {
		return fmt.Errorf("migrate: test: %w", err)
	}
	if len(revs) > 0 {
		return fmt.Errorf("migrate: test needs a database where no version is applied; %d are (use a fresh database)", len(revs))
	}
	before := make([]*schemasnap.Snapshot, len(dir.Versions))
	beforeSchemas := make([][]string, len(dir.Versions))
	for i, v := range dir.Versions {
		if beforeSchemas[i], before[i], err = snapshot(ctx, db, m.cfg.Schema); err != nil {
			return err
		}
		if _, err := m.UpTo(ctx, v.Version); err != nil {
			return fmt.Errorf("migrate: test: up %s: %w", v.ID(), err)
		}
	}
	for i := len(dir.Versions) - 1; i >= 0; i-- {
		v := dir.Versions[i]
		to := "0"
		if i > 0 {
			to = dir.Versions[i-1].Version
		}
		if _, err := m.Down(ctx, to); err != nil {
			return fmt.Errorf("migrate: test: down %s: %w", v.ID(), err)
		}
		schemas, after, err := snapshot(ctx, db, m.cfg.Schema)
		if err != nil {
			return err
		}
		if d := schemasnap.Diff(before[i], after); d != "" || !slices.Equal(schemas, beforeSchemas[i]) {
			if d == "" {
				d = fmt.Sprintf("schemas before up %v, after down %v", beforeSchemas[i], schemas)
			}
			return &RoundTripError{Version: v.Version, Name: v.Name, Diff: d}
		}
	}
	if _, err := m.Up(ctx); err != nil {
		return fmt.Errorf("migrate: test: up again after rolling everything back: %w", err)
	}
	return nil
}

// snapshot takes a snapshot of every user schema except the revisions schema.
func snapshot(ctx context.Context, db DB, revisionsSchema string) ([]string, *schemasnap.Snapshot, error) {
	rows, err := db.Query(ctx, `SELECT nspname FROM pg_namespace
WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema' AND nspname <> $1 ORDER BY 1`, revisionsSchema)
	if err != nil {
		return nil, nil, fmt.Errorf("migrate: test: list schemas: %w", err)
	}
	schemas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, nil, fmt.Errorf("migrate: test: list schemas: %w", err)
	}
	s, err := schemasnap.Take(ctx, db, schemas...)
	if err != nil {
		return nil, nil, fmt.Errorf("migrate: test: %w", err)
	}
	return schemas, s, nil
}
