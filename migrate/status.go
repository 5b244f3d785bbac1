package migrate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// VersionStatus is one line of [Migrator.Status].
type VersionStatus struct {
	Version   string
	Name      string
	State     string     // "applied", "pending" or "dirty"
	AppliedAt *time.Time // nil when pending
	Revision  *Revision  // nil when pending
	// Problem is set when the history does not match the directory: "changed",
	// "missing" (applied but no file) or "out-of-order".
	Problem string
}

// Status lists every version of the directory and every applied version, in order. It
// reads only; it does not create the revisions table.
func (m *Migrator) Status(ctx context.Context) ([]VersionStatus, error) {
	revs, _, err := readRevisions(ctx, m.db, m.t)
	if err != nil {
		return nil, fmt.Errorf("migrate: read revisions: %w", err)
	}
	byVersion := map[string]*VersionStatus{}
	var order []string
	newest := ""
	for i := range revs {
		r := &revs[i]
		at := r.AppliedAt
		st := &VersionStatus{Version: r.Version, Name: r.Name, State: r.State, AppliedAt: &at, Revision: r}
		if r.State == StateApplied {
			newest = max(newest, r.Version)
		}
		if v := m.dir.Lookup(r.Version); v == nil {
			st.Problem = "missing"
		} else if v.Up.Checksum != r.Checksum {
			st.Problem = "changed"
		}
		byVersion[r.Version] = st
		order = append(order, r.Version)
	}
	for _, v := range m.dir.Versions {
		if _, ok := byVersion[v.Version]; ok {
			continue
		}
		st := &VersionStatus{Version: v.Version, Name: v.Name, State: StatePending}
		if v.Version < newest {
			st.Problem = "out-of-order"
		}
		byVersion[v.Version] = st
		order = append(order, v.Version)
	}
	out := make([]VersionStatus, 0, len(order))
	for _, v := range order {
		out = append(out, *byVersion[v])
	}
	sortStatus(out)
	return out, nil
}

func sortStatus(s []VersionStatus) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].Version < s[j-1].Version; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Pending returns the versions Up would apply, after the same history checks.
func (m *Migrator) Pending(ctx context.Context) ([]*Version, error) {
	revs, _, err := readRevisions(ctx, m.db, m.t)
	if err != nil {
		return nil, fmt.Errorf("migrate: read revisions: %w", err)
	}
	return m.plan(ctx, m.db, revs, "")
}

// Verify checks the directory's files ([Dir.Check]: every file parses, transactional
// files are transaction-safe) and the applied history against the directory: no dirty
// revision, no applied file changed or missing, no pending version older than the newest
// applied one (unless AllowOutOfOrder). Pending versions are not an error. It changes
// nothing.
func (m *Migrator) Verify(ctx context.Context) error {
	if err := m.dir.Check(); err != nil {
		return err
	}
	_, err := m.Pending(ctx)
	return err
}

// Baseline adopts an existing database whose schema already matches version: it records
// every version up to and including it as applied (kind "baseline") without running
// anything. It refuses when revisions already exist.
func (m *Migrator) Baseline(ctx context.Context, version, reason string) ([]Result, error) {
	if m.dir.Lookup(version) == nil {
		return nil, fmt.Errorf("%w %q: baseline needs a version of the directory", ErrUnknownVersion, version)
	}
	var results []Result
	err := m.withLock(ctx, func(conn *pgx.Conn) error {
		revs, _, err := readRevisions(ctx, conn, m.t)
		if err != nil {
			return err
		}
		if len(revs) > 0 {
			return fmt.Errorf("migrate: baseline refused: the database already has %d revision(s) (newest %s); baseline is only for a database that has never been migrated by this tool", len(revs), revs[len(revs)-1].Version)
		}
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			for _, v := range m.dir.Versions {
				if v.Version > version {
					break
				}
				if _, err := tx.Exec(ctx, `INSERT INTO `+m.t.revisions+` (version, name, checksum, kind, state, note)
VALUES ($1, $2, $3, 'baseline', 'applied', $4)`, v.Version, v.Name, v.Up.Checksum, "baseline: "+reason); err != nil {
					return err
				}
				if err := logAction(ctx, tx, m.t, v.Version, "baseline", reason); err != nil {
					return err
				}
				results = append(results, Result{Version: v.Version, Name: v.Name, Direction: Up, Kind: KindBaseline, Note: reason})
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// Resolution says how a dirty revision was settled by hand.
type Resolution string

// Resolutions.
const (
	// ResolvedApplied: every statement of the file has taken effect; keep the revision.
	ResolvedApplied Resolution = "applied"
	// ResolvedRolledBack: the database is as before the file; drop the revision so
	// that the next Up runs the file again.
	ResolvedRolledBack Resolution = "rolled-back"
)

// Resolve settles a dirty revision after someone has repaired the database by hand.
// The reason is required and recorded in the revision row and the revision log.
// Resolved as applied, the revision's applied_at becomes the time of the resolution.
func (m *Migrator) Resolve(ctx context.Context, version string, how Resolution, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return errors.New("migrate: resolve needs a reason (what was checked or repaired); it is recorded")
	}
	if how != ResolvedApplied && how != ResolvedRolledBack {
		return fmt.Errorf("migrate: resolve: unknown resolution %q (want %q or %q)", how, ResolvedApplied, ResolvedRolledBack)
	}
	return m.withLock(ctx, func(conn *pgx.Conn) error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			var state string
			err := tx.QueryRow(ctx, `SELECT state FROM `+m.t.revisions+` WHERE version = $1 FOR UPDATE`, version).Scan(&state)
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("migrate: resolve %s: no revision with that version; nothing to resolve (see govctl migrate status)", version)
			}
			if err != nil {
				return err
			}
			if state != StateDirty {
				return fmt.Errorf("migrate: resolve %s: the revision is %s, not dirty; nothing to resolve", version, state)
			}
			if how == ResolvedApplied {
				// applied_at becomes the resolution time: the version's effects are complete
				// only from now, and what counts time from a version's apply (a later drop's
				// deprecation window) must not count the time it spent dirty.
				_, err = tx.Exec(ctx, `UPDATE `+m.t.revisions+` SET state = 'applied', failed_statement = NULL, error = NULL,
applied_at = now(), note = concat_ws('; ', nullif(note, ''), $2::text) WHERE version = $1`, version, "resolved as applied: "+reason)
			} else {
				_, err = tx.Exec(ctx, `DELETE FROM `+m.t.revisions+` WHERE version = $1`, version)
			}
			if err != nil {
				return err
			}
			m.cfg.Logger.Warn("migrate: resolved dirty revision", "version", version, "as", string(how))
			return logAction(ctx, tx, m.t, version, "resolve-"+string(how), reason)
		})
	})
}

// Force records version as applied without running it (kind "forced"), for a change
// that was applied by other means. The reason is required and recorded. A dirty
// revision is settled with Resolve instead.
func (m *Migrator) Force(ctx context.Context, version, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return errors.New("migrate: force needs a reason (how the change was applied); it is recorded")
	}
	v := m.dir.Lookup(version)
	if v == nil {
		return fmt.Errorf("%w %q: force needs a version of the directory", ErrUnknownVersion, version)
	}
	return m.withLock(ctx, func(conn *pgx.Conn) error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `INSERT INTO `+m.t.revisions+` (version, name, checksum, kind, state, note)
VALUES ($1, $2, $3, 'forced', 'applied', $4) ON CONFLICT (version) DO NOTHING`, v.Version, v.Name, v.Up.Checksum, "forced: "+reason)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return fmt.Errorf("migrate: force %s: a revision already exists for it; use resolve for a dirty one", version)
			}
			m.cfg.Logger.Warn("migrate: forced revision", "version", version)
			return logAction(ctx, tx, m.t, version, "force", reason)
		})
	})
}
