package migrate

import (
	"context"
	"errors"

	"github.com/lsos/lsosgov/internal/review"
)

// PlanOptions tune [Plan]: the migration name, the first version (default: now), the
// clock and renames ("table.old" → "new").
type PlanOptions = review.PlanOptions

// PlanResult is the planned change: the versions to write (forward and rollback SQL),
// rename hints, and the objects whose drop cannot be rolled back.
type PlanResult = review.PlanResult

// ErrNoChange reports that the directory already produces the desired schema.
var ErrNoChange = review.ErrNoChange

// ErrDesired reports a desired schema that cannot be loaded; the error is a
// [*DesiredError] naming the file and line.
var ErrDesired = review.ErrDesired

// DesiredError names the desired schema file (and line) [Plan] could not load: SQL that
// does not parse or run, Atlas HCL with a syntax or evaluation error, a mix of the two.
type DesiredError = review.DesiredError

// Plan replays dir on dev, an empty scratch database (a *pgxpool.Pool or *pgx.Conn;
// never the target), loads the desired schema next to it, and computes the change with
// Atlas. desired holds the contents of the desired schema files: plain SQL (unqualified
// names), or Atlas HCL when opts.DesiredNames gives each a name ending in .hcl (HCL
// files are evaluated together and must declare only schema "public"; a mix of SQL and
// HCL is refused). Set opts.DesiredNames to the file names in any case, so errors name
// the file and line. Indexes on existing tables are
// planned CONCURRENTLY in a no-transaction version of their own, foreign keys and checks
// on existing tables NOT VALID with a later VALIDATE version, drops are marked
// irreversible in the rollback with a failing guard, and a drop+add of one type is a
// rename hint unless opts.Renames asks for the rename. Nothing is written: see
// [WritePlan].
func Plan(ctx context.Context, dev DB, dir *Dir, desired []string, opts PlanOptions) (*PlanResult, error) {
	if dir == nil || dir.FS() == nil {
		return nil, errors.New("migrate: Plan: dir is nil; load one with Load or LoadFS")
	}
	d, err := review.LoadFS(dir.FS())
	if err != nil {
		return nil, err
	}
	return review.Plan(ctx, dev, d, desired, opts)
}

// WritePlan writes the planned versions into dir (which must be on disk, loaded with
// [Load]) and rewrites its atlas.sum.
func WritePlan(dir *Dir, res *PlanResult) error {
	if dir == nil || dir.Path() == "" {
		return errors.New("migrate: WritePlan: the directory is not on disk; load it with Load(path)")
	}
	return review.WritePlan(dir.Path(), res)
}
