package migrate

import (
	"context"
	"errors"
	"fmt"

	"github.com/lsos/lsosgov/internal/review"
)

// Difference is one way a live database differs from what its applied versions produce.
type Difference = review.Difference

// DriftOptions tune [Drift].
type DriftOptions struct {
	// Dev is an empty scratch database (a *pgxpool.Pool or *pgx.Conn) on which the
	// applied versions are replayed. Required: drift never replays on the live database.
	Dev DB
	// Config names the revisions schema; its zero value is the default.
	Config Config
	// Applied overrides the applied versions; nil reads them from the live database's
	// revisions table.
	Applied []string
	// Schemas to compare; default public.
	Schemas []string
	// IgnorePartitions leaves out partition children (and the indexes, constraints,
	// triggers and comments on them), which partition maintenance and archiving create
	// and detach at run time. Partitioned parents are still compared.
	IgnorePartitions bool
}

// Drift compares the live database db with the state its applied versions of dir
// produce (replayed on opts.Dev) and lists every difference: tables, columns, indexes,
// constraints, partitions, views, functions, triggers, RLS and policies, sequences,
// types and comments. A hand-made hotfix in production shows up here. db is only read.
func Drift(ctx context.Context, db DB, dir *Dir, opts DriftOptions) ([]Difference, error) {
	if dir == nil || dir.FS() == nil {
		return nil, errors.New("migrate: Drift: dir is nil; load one with Load or LoadFS")
	}
	if opts.Dev == nil {
		return nil, errors.New("migrate: Drift: DriftOptions.Dev is required: an empty scratch database to replay the applied versions on")
	}
	applied := opts.Applied
	if applied == nil {
		m, err := NewMigrator(db, dir, opts.Config)
		if err != nil {
			return nil, err
		}
		st, err := m.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("migrate: Drift: %w", err)
		}
		applied = []string{}
		for _, s := range st {
			if s.State == "applied" {
				applied = append(applied, s.Version)
			}
		}
	}
	d, err := review.LoadFS(dir.FS())
	if err != nil {
		return nil, err
	}
	return review.Drift(ctx, db, opts.Dev, d, review.DriftOptions{Applied: applied, Schemas: opts.Schemas, IgnorePartitions: opts.IgnorePartitions})
}
