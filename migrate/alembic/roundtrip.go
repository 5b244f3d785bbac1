package alembic

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/internal/schemasnap"
)

// RoundTripOptions tune [RoundTrip].
type RoundTripOptions struct {
	// Schemas are the schemas compared. Default: every schema except the system
	// ones, listed anew at each snapshot (so a schema a revision creates counts).
	Schemas []string
}

// RoundTrip is the local up/down migration test of policy §3 for an Alembic project,
// run by the real Alembic online against databaseURL, which must hold no Alembic
// history (a fresh test database): every revision is upgraded to in apply order
// (`alembic upgrade <rev>`), with a schema snapshot before each; then each is
// downgraded in reverse order (`alembic downgrade <rev>@<down revision>`, which
// removes that revision alone, also at merge and branch points), and the schema
// compared with the snapshot taken before its upgrade; then `alembic upgrade heads`
// runs again and the schema is compared with the first full upgrade. A downgrade
// that does not restore the schema is a *[RoundTripError] naming the revision.
// The version table is left out of the comparison. env.py must read the URL from
// `-x url=…` or the LSOS_ALEMBIC_URL environment variable (see [Config.URLEnv]).
func RoundTrip(ctx context.Context, p *Project, databaseURL string, opts RoundTripOptions) error {
	if err := p.graph.Err(); err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("alembic: round trip: connect: %w", err)
	}
	defer pool.Close()
	cur, _, err := p.currentRevisions(ctx, pool)
	if err != nil {
		return err
	}
	if len(cur) > 0 {
		return fmt.Errorf("%w: alembic_version holds %s; the round trip needs a fresh database", ErrNotFresh, strings.Join(cur, ", "))
	}
	snap := func() (*schemasnap.Snapshot, error) { return p.snapshot(ctx, pool, opts.Schemas) }
	order := p.graph.Order
	before := make([]*schemasnap.Snapshot, len(order))
	for i, r := range order {
		if before[i], err = snap(); err != nil {
			return err
		}
		if _, err := p.run(ctx, databaseURL, "upgrade", r.ID); err != nil {
			return fmt.Errorf("alembic: round trip: upgrade to %s (%s): %w", r.ID, r.File, err)
		}
	}
	full, err := snap()
	if err != nil {
		return err
	}
	for i := len(order) - 1; i >= 0; i-- {
		r := order[i]
		target := "base"
		if len(r.DownRevisions) > 0 {
			target = r.DownRevisions[0]
		}
		if _, err := p.run(ctx, databaseURL, "downgrade", r.ID+"@"+target); err != nil {
			return fmt.Errorf("alembic: round trip: downgrade of %s (%s): %w", r.ID, r.File, err)
		}
		after, err := snap()
		if err != nil {
			return err
		}
		if d := schemasnap.Diff(before[i], after); d != "" {
			return &RoundTripError{Revision: r.ID, File: r.File, Diff: d}
		}
		if st, err := p.Status(ctx, pool); err != nil {
			return err
		} else if slices.ContainsFunc(st.Applied, func(a *Revision) bool { return a == r }) {
			return fmt.Errorf("alembic: round trip: after downgrading %s, alembic_version (%s) still includes it", r.ID, strings.Join(st.Current, ", "))
		}
	}
	if _, err := p.run(ctx, databaseURL, "upgrade", "heads"); err != nil {
		return fmt.Errorf("alembic: round trip: upgrade heads after downgrading everything: %w", err)
	}
	again, err := snap()
	if err != nil {
		return err
	}
	if d := schemasnap.Diff(full, again); d != "" {
		return fmt.Errorf("alembic: round trip: upgrading again after a full downgrade gives another schema (-first upgrade, +second):\n%s", d)
	}
	return nil
}

// snapshot takes a schema snapshot without the version table.
func (p *Project) snapshot(ctx context.Context, pool *pgxpool.Pool, schemas []string) (*schemasnap.Snapshot, error) {
	if len(schemas) == 0 {
		rows, err := pool.Query(ctx, `SELECT nspname FROM pg_namespace
WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema' ORDER BY 1`)
		if err != nil {
			return nil, fmt.Errorf("alembic: round trip: list schemas: %w", err)
		}
		if schemas, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return nil, fmt.Errorf("alembic: round trip: list schemas: %w", err)
		}
	}
	s, err := schemasnap.Take(ctx, pool, schemas...)
	if err != nil {
		return nil, fmt.Errorf("alembic: round trip: %w", err)
	}
	p.dropVersionTable(s)
	return s, nil
}

// dropVersionTable removes the version table (its table, key index and constraint)
// from a snapshot: Alembic creates it on the first upgrade and leaves it in place.
func (p *Project) dropVersionTable(s *schemasnap.Snapshot) {
	vt := p.cfg.VersionTable
	match := func(key string) bool {
		schema, rest, ok := strings.Cut(key, ".")
		if !ok {
			return false
		}
		if p.cfg.VersionTableSchema != "" && schema != p.cfg.VersionTableSchema {
			return false
		}
		return rest == vt || strings.HasPrefix(rest, vt+".") || rest == vt+"_pkc"
	}
	for k := range s.Tables {
		if match(k) {
			delete(s.Tables, k)
		}
	}
	for _, m := range []map[string]string{s.Partitions, s.Views, s.Triggers, s.Policies, s.RLS, s.Indexes, s.Constraint} {
		for k := range m {
			if match(k) {
				delete(m, k)
			}
		}
	}
}
