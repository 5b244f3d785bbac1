package migrate

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lsos/lsosgov/governance"
)

// Migrator applies and rolls back the versions of a [Dir] on one database, recording
// them in a revisions table. It is safe for concurrent use by many processes: every
// change happens under a session-level advisory lock.
type Migrator struct {
	db      DB
	dir     *Dir
	cfg     Config
	t       tables
	windows []governance.Window
	// hook, when set, runs each statement instead of a plain Exec (Rehearse measures
	// statements through it).
	hook func(ctx context.Context, db DB, v *Version, f *File, i int) error
}

// NewMigrator returns a Migrator for dir on db, which must be a *pgxpool.Pool,
// *pgxpool.Conn or *pgx.Conn.
func NewMigrator(db DB, dir *Dir, cfg Config) (*Migrator, error) {
	if dir == nil {
		return nil, errors.New("migrate: NewMigrator: dir is nil; load one with Load or LoadFS")
	}
	switch db.(type) {
	case *pgxpool.Pool, *pgxpool.Conn, *pgx.Conn:
	default:
		return nil, fmt.Errorf("migrate: NewMigrator: db is a %T; pass a *pgxpool.Pool, *pgxpool.Conn or *pgx.Conn (a migrator holds a session lock and runs no-transaction files, so it cannot use a transaction)", db)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Migrator{db: db, dir: dir, cfg: cfg, t: newTables(cfg.Schema)}
	for _, w := range cfg.Policy.Migrations.MaintenanceWindows {
		win, _ := governance.ParseWindow(w) // validated by withDefaults
		m.windows = append(m.windows, win)
	}
	return m, nil
}

// Dir returns the migrator's directory.
func (m *Migrator) Dir() *Dir { return m.dir }

// session returns a dedicated connection and its release function. A broken session
// (the unlock failed) is closed rather than returned to a pool holding the lock.
func (m *Migrator) session(ctx context.Context) (*pgx.Conn, func(broken bool), error) {
	switch db := m.db.(type) {
	case *pgxpool.Pool:
		c, err := db.Acquire(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("migrate: acquire a connection: %w", err)
		}
		return c.Conn(), func(broken bool) {
			if broken {
				_ = c.Conn().Close(context.Background())
			}
			c.Release()
		}, nil
	case *pgxpool.Conn:
		return db.Conn(), func(bool) {}, nil
	case *pgx.Conn:
		return db, func(bool) {}, nil
	}
	return nil, nil, fmt.Errorf("migrate: unsupported db %T", m.db)
}

// withLock runs fn on a dedicated connection holding the migration lock, after making
// sure the revisions tables exist.
func (m *Migrator) withLock(ctx context.Context, fn func(conn *pgx.Conn) error) (err error) {
	conn, release, err := m.session(ctx)
	if err != nil {
		return err
	}
	broken := false
	defer func() { release(broken) }()
	// A killed migrator's backend notices the lost client within a second and releases
	// the lock, instead of finishing a long statement first (PostgreSQL 14+).
	_, _ = conn.Exec(ctx, `SELECT set_config('client_connection_check_interval', '1s', false)`)
	if err := lock(ctx, conn, m.t.lockKey, m.cfg.LockWait, func() {
		m.emit(Event{Kind: EventLockWait})
		m.cfg.Logger.Info("migrate: waiting for another migrator's lock", "schema", m.cfg.Schema)
	}); err != nil {
		broken = conn.IsClosed()
		return err
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if uerr := unlock(uctx, conn, m.t.lockKey); uerr != nil {
			broken = true // closing the session releases the lock
		}
		_, _ = conn.Exec(uctx, `RESET client_connection_check_interval`)
	}()
	for _, q := range m.t.ddl() {
		if _, err := conn.Exec(ctx, q); err != nil {
			if pe := asPrivilegeError("create the revisions tables in schema "+m.cfg.Schema+" (Up re-runs this idempotent DDL under the lock)", q, err); pe != nil {
				return pe
			}
			return fmt.Errorf("migrate: create the revisions table in schema %s: %w", m.cfg.Schema, err)
		}
	}
	return fn(conn)
}

func (m *Migrator) emit(e Event) {
	if m.cfg.Progress != nil {
		m.cfg.Progress(e)
	}
}

// Up applies every pending version. When nothing is pending it costs one query: the
// history is read and compared with the directory's checksums without taking the lock.
func (m *Migrator) Up(ctx context.Context) ([]Result, error) { return m.UpTo(ctx, "") }

// UpTo applies pending versions up to and including target ("" = all).
func (m *Migrator) UpTo(ctx context.Context, target string) ([]Result, error) {
	if target != "" && m.dir.Lookup(target) == nil {
		return nil, fmt.Errorf("%w %q: the directory has no such version (see govctl migrate status)", ErrUnknownVersion, target)
	}
	if m.upToDate(ctx, target) {
		return nil, nil
	}
	var results []Result
	err := m.withLock(ctx, func(conn *pgx.Conn) error {
		revs, _, err := readRevisions(ctx, conn, m.t)
		if err != nil {
			return fmt.Errorf("migrate: read revisions: %w", err)
		}
		pending, err := m.plan(ctx, conn, revs, target)
		if err != nil {
			return err
		}
		// Statements are parsed lazily; parse every pending file before the first one
		// runs, so a syntax error or a COMMIT in a transactional file refuses the whole
		// run, as a load-time error would, instead of stopping it half way.
		for _, v := range pending {
			if _, err := v.Up.Statements(); err != nil {
				return err
			}
		}
		for _, v := range pending {
			note, err := m.windowCheck(v)
			if err == nil {
				var res Result
				res, err = m.apply(ctx, conn, v, note)
				if err == nil {
					results = append(results, res)
					continue
				}
			}
			m.emit(Event{Kind: EventFailed, Direction: Up, Version: v.Version, Name: v.Name})
			m.cfg.Logger.Error("migrate: version failed", "version", v.Version, "name", v.Name, "err", err)
			failed := Result{Version: v.Version, Name: v.Name, Direction: Up, Kind: kindOf(v.Up)}
			return &PartialError{Applied: results, Failed: failed, Err: err}
		}
		return nil
	})
	return results, err
}

// upToDate is the startup fast path: one light query (version, checksum, state), no
// lock, no schema inspection. It reports true only when every version up to target is
// applied, clean, and matches its file; anything else goes the full, locked way, which
// reports the problem precisely.
func (m *Migrator) upToDate(ctx context.Context, target string) bool {
	rows, err := m.db.Query(ctx, `SELECT version, checksum, state = 'applied' FROM `+m.t.revisions+` ORDER BY version`)
	if err != nil {
		return false
	}
	defer rows.Close()
	i, vs := 0, m.dir.Versions
	var version, checksum string
	var clean bool
	for rows.Next() {
		if err := rows.Scan(&version, &checksum, &clean); err != nil || !clean {
			return false
		}
		// Applied versions and directory versions must match one to one, in order.
		if i >= len(vs) || vs[i].Version != version || vs[i].Up.Checksum != checksum {
			return false
		}
		i++
	}
	if rows.Err() != nil {
		return false
	}
	return i == len(vs) || (target != "" && vs[i].Version > target)
}

func kindOf(f *File) Kind {
	if f.Directives.NoTransaction {
		return KindNoTransaction
	}
	return KindTransactional
}

// plan checks the history against the directory and returns the pending versions up to
// target, in order. Any mismatch refuses the whole run.
func (m *Migrator) plan(ctx context.Context, db DB, revs []Revision, target string) ([]*Version, error) {
	applied := map[string]bool{}
	var problems []HistoryProblem
	newest := ""
	for _, r := range revs {
		if r.State == StateDirty {
			return nil, m.dirtyError(ctx, db, r, nil)
		}
		applied[r.Version] = true
		newest = max(newest, r.Version)
		v := m.dir.Lookup(r.Version)
		switch {
		case v == nil:
			problems = append(problems, HistoryProblem{Version: r.Version, Name: r.Name, Kind: "missing",
				Detail: "applied, but its files are gone from the migration directory; restore them (an applied migration stays in the directory; undo it with a new migration)"})
		case v.Up.Checksum != r.Checksum:
			problems = append(problems, HistoryProblem{Version: r.Version, Name: r.Name, Kind: "changed",
				Detail: fmt.Sprintf("%s was edited after it was applied (applied checksum %s, file now %s); revert the edit and put the change in a new migration (govctl migrate new)", v.Up.Name, r.Checksum, v.Up.Checksum)})
		}
	}
	var pending []*Version
	for _, v := range m.dir.Versions {
		if applied[v.Version] || (target != "" && v.Version > target) {
			continue
		}
		if v.Version < newest && !m.cfg.AllowOutOfOrder {
			problems = append(problems, HistoryProblem{Version: v.Version, Name: v.Name, Kind: "out-of-order",
				Detail: fmt.Sprintf("pending, but older than the newest applied version %s; give it a newer version (rename it to a current timestamp and run govctl migrate hash), or apply it with the out-of-order option", newest)})
		}
		pending = append(pending, v)
	}
	if len(problems) > 0 {
		return nil, &HistoryError{Problems: problems}
	}
	return pending, nil
}

func (m *Migrator) dirtyError(ctx context.Context, db DB, r Revision, cause error) *DirtyError {
	e := &DirtyError{Version: r.Version, Name: r.Name, FailedStmt: -1, Err: cause}
	if r.FailedStatement != nil {
		e.FailedStmt = *r.FailedStatement
	}
	e.InvalidIndexes, _ = invalidIndexes(ctx, db)
	return e
}

// invalidIndexes lists indexes left INVALID, e.g. by a failed CREATE INDEX CONCURRENTLY.
func invalidIndexes(ctx context.Context, db DB) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT format('%I.%I', n.nspname, c.relname)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT i.indisvalid ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// windowCheck decides whether v may run now; the note is recorded with the revision.
func (m *Migrator) windowCheck(v *Version) (string, error) {
	if !v.MaintenanceWindow {
		return "", nil
	}
	now := m.cfg.Now()
	var names []string
	var next time.Time
	for _, w := range m.windows {
		if w.Contains(now) {
			return "applied inside maintenance window " + w.String(), nil
		}
		names = append(names, w.String())
		if n := w.Next(now); !n.IsZero() && (next.IsZero() || n.Before(next)) {
			next = n
		}
	}
	if m.cfg.WindowOverride != "" {
		return "maintenance window override: " + m.cfg.WindowOverride, nil
	}
	e := &WindowError{Version: v.Version, Name: v.Name, Windows: names}
	if !next.IsZero() {
		e.NextOpen = next.UTC().Format(time.RFC3339)
	}
	return "", e
}

// timeouts returns the lock_timeout and statement_timeout for a file: its directives,
// else the policy.
func (m *Migrator) timeouts(f *File) (lockT, stmtT time.Duration) {
	lockT, stmtT = m.cfg.Policy.Migrations.LockTimeout.Std(), m.cfg.Policy.Migrations.StatementTimeout.Std()
	if f.Directives.LockTimeout > 0 {
		lockT = f.Directives.LockTimeout
	}
	if f.Directives.StatementTimeout > 0 {
		stmtT = f.Directives.StatementTimeout
	}
	return lockT, stmtT
}

func setTimeouts(ctx context.Context, db DB, lockT, stmtT time.Duration, local bool) error {
	_, err := db.Exec(ctx, `SELECT set_config('lock_timeout', $1, $3), set_config('statement_timeout', $2, $3)`,
		fmt.Sprintf("%dms", lockT.Milliseconds()), fmt.Sprintf("%dms", stmtT.Milliseconds()), local)
	return err
}

// run executes a file's statements on db, reporting progress.
func (m *Migrator) run(ctx context.Context, db DB, v *Version, f *File, dir Direction) (int, error) {
	stmts, err := f.Statements()
	if err != nil {
		return 0, err
	}
	for i, st := range stmts {
		start := time.Now()
		var err error
		if m.hook != nil {
			err = m.hook(ctx, db, v, f, i)
		} else {
			_, err = db.Exec(ctx, st.SQL)
		}
		if err != nil {
			return i, &StatementError{Version: v.Version, File: f.Name, Index: i, Line: st.Line, Err: withPrivilege(st.SQL, err)}
		}
		m.emit(Event{Kind: EventStatement, Direction: dir, Version: v.Version, Name: v.Name, Statement: i, Total: len(stmts), Duration: time.Since(start)})
	}
	return len(stmts), nil
}

// apply runs one forward file and records it.
func (m *Migrator) apply(ctx context.Context, conn *pgx.Conn, v *Version, note string) (Result, error) {
	stmts, err := v.Up.Statements()
	if err != nil {
		return Result{Version: v.Version, Name: v.Name, Direction: Up, Kind: kindOf(v.Up), Note: note}, err
	}
	m.emit(Event{Kind: EventStart, Direction: Up, Version: v.Version, Name: v.Name, Total: len(stmts)})
	res := Result{Version: v.Version, Name: v.Name, Direction: Up, Kind: kindOf(v.Up), Statements: len(stmts), Note: note}
	lockT, stmtT := m.timeouts(v.Up)
	start := time.Now()
	if res.Kind == KindTransactional {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if err := setTimeouts(ctx, tx, lockT, stmtT, true); err != nil {
				return err
			}
			if _, err := m.run(ctx, tx, v, v.Up, Up); err != nil {
				return err
			}
			res.Duration = time.Since(start)
			if _, err := tx.Exec(ctx, `INSERT INTO `+m.t.revisions+` (version, name, checksum, duration, kind, state, note)
VALUES ($1, $2, $3, $4 * interval '1 microsecond', $5, 'applied', $6)`,
				v.Version, v.Name, v.Up.Checksum, res.Duration.Microseconds(), string(res.Kind), note); err != nil {
				return fmt.Errorf("migrate: record revision %s: %w", v.Version, err)
			}
			return logAction(ctx, tx, m.t, v.Version, "apply", note)
		})
		if err != nil {
			return res, err
		}
	} else {
		// No transaction: a dirty row is written first, so a crash or a failure leaves
		// a record that blocks further runs until someone resolves it.
		if _, err := conn.Exec(ctx, `INSERT INTO `+m.t.revisions+` (version, name, checksum, kind, state, note)
VALUES ($1, $2, $3, 'no-transaction', 'dirty', $4)`, v.Version, v.Name, v.Up.Checksum, note); err != nil {
			return res, fmt.Errorf("migrate: record revision %s: %w", v.Version, err)
		}
		if err := setTimeouts(ctx, conn, lockT, stmtT, false); err != nil {
			return res, err
		}
		i, err := m.run(ctx, conn, v, v.Up, Up)
		_, _ = conn.Exec(context.Background(), `RESET lock_timeout; RESET statement_timeout`)
		if err != nil {
			_, _ = conn.Exec(context.Background(), `UPDATE `+m.t.revisions+` SET failed_statement = $2, error = $3 WHERE version = $1`, v.Version, i, errText(err))
			fi := i
			de := m.dirtyError(context.Background(), conn, Revision{Version: v.Version, Name: v.Name, FailedStatement: &fi}, err)
			return res, de
		}
		res.Duration = time.Since(start)
		if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE `+m.t.revisions+` SET state = 'applied', applied_at = now(), duration = $2 * interval '1 microsecond' WHERE version = $1`,
				v.Version, res.Duration.Microseconds()); err != nil {
				return err
			}
			return logAction(ctx, tx, m.t, v.Version, "apply", note)
		}); err != nil {
			return res, fmt.Errorf("migrate: record revision %s: %w", v.Version, err)
		}
	}
	m.emit(Event{Kind: EventDone, Direction: Up, Version: v.Version, Name: v.Name, Total: res.Statements, Duration: res.Duration})
	m.cfg.Logger.Info("migrate: applied", "version", v.Version, "name", v.Name, "kind", string(res.Kind), "duration", res.Duration)
	return res, nil
}

// errText keeps the SQLSTATE and message of an error, never its DETAIL (which can carry
// row values).
func errText(err error) string {
	var se *StatementError
	if errors.As(err, &se) {
		err = se.Err
	}
	s := err.Error()
	if i := strings.Index(s, "\n"); i >= 0 {
		s = s[:i]
	}
	return s
}

// Down rolls back, newest first, every applied version newer than to; to = "0" rolls
// back everything.
func (m *Migrator) Down(ctx context.Context, to string) ([]Result, error) {
	if to == "" {
		return nil, errors.New("migrate: Down needs the version to roll back to (\"0\" rolls back everything)")
	}
	if to != "0" && m.dir.Lookup(to) == nil {
		return nil, fmt.Errorf("%w %q: the directory has no such version", ErrUnknownVersion, to)
	}
	var results []Result
	err := m.withLock(ctx, func(conn *pgx.Conn) error {
		revs, _, err := readRevisions(ctx, conn, m.t)
		if err != nil {
			return fmt.Errorf("migrate: read revisions: %w", err)
		}
		for _, r := range revs {
			if r.State == StateDirty {
				return m.dirtyError(ctx, conn, r, nil)
			}
		}
		sort.Slice(revs, func(i, j int) bool { return revs[i].Version > revs[j].Version })
		// Parse every rollback file first (statements are parsed lazily), so a broken
		// one refuses the run before anything is rolled back.
		for _, r := range revs {
			if to != "0" && r.Version <= to {
				break
			}
			if v := m.dir.Lookup(r.Version); v != nil {
				if _, err := v.Down.Statements(); err != nil {
					return err
				}
			}
		}
		for _, r := range revs {
			if to != "0" && r.Version <= to {
				break
			}
			v := m.dir.Lookup(r.Version)
			if v == nil {
				return &PartialError{Applied: results, Failed: Result{Version: r.Version, Name: r.Name, Direction: Down},
					Err: fmt.Errorf("migrate: cannot roll back %s_%s: its files are not in the directory; restore them", r.Version, r.Name)}
			}
			res, err := m.rollback(ctx, conn, v)
			if err != nil {
				m.emit(Event{Kind: EventFailed, Direction: Down, Version: v.Version, Name: v.Name})
				return &PartialError{Applied: results, Failed: res, Err: err}
			}
			results = append(results, res)
		}
		return nil
	})
	return results, err
}

func (m *Migrator) rollback(ctx context.Context, conn *pgx.Conn, v *Version) (Result, error) {
	stmts, err := v.Down.Statements()
	if err != nil {
		return Result{Version: v.Version, Name: v.Name, Direction: Down, Kind: kindOf(v.Down)}, err
	}
	m.emit(Event{Kind: EventStart, Direction: Down, Version: v.Version, Name: v.Name, Total: len(stmts)})
	res := Result{Version: v.Version, Name: v.Name, Direction: Down, Kind: kindOf(v.Down), Statements: len(stmts)}
	lockT, stmtT := m.timeouts(v.Down)
	start := time.Now()
	if res.Kind == KindTransactional {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if err := setTimeouts(ctx, tx, lockT, stmtT, true); err != nil {
				return err
			}
			if _, err := m.run(ctx, tx, v, v.Down, Down); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM `+m.t.revisions+` WHERE version = $1`, v.Version); err != nil {
				return err
			}
			return logAction(ctx, tx, m.t, v.Version, "rollback", "")
		})
		if err != nil {
			return res, err
		}
	} else {
		if _, err := conn.Exec(ctx, `UPDATE `+m.t.revisions+` SET state = 'dirty', failed_statement = NULL, error = 'rolling back' WHERE version = $1`, v.Version); err != nil {
			return res, err
		}
		if err := setTimeouts(ctx, conn, lockT, stmtT, false); err != nil {
			return res, err
		}
		i, err := m.run(ctx, conn, v, v.Down, Down)
		_, _ = conn.Exec(context.Background(), `RESET lock_timeout; RESET statement_timeout`)
		if err != nil {
			_, _ = conn.Exec(context.Background(), `UPDATE `+m.t.revisions+` SET failed_statement = $2, error = $3 WHERE version = $1`, v.Version, i, "rollback: "+errText(err))
			fi := i
			return res, m.dirtyError(context.Background(), conn, Revision{Version: v.Version, Name: v.Name, FailedStatement: &fi}, err)
		}
		if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `DELETE FROM `+m.t.revisions+` WHERE version = $1`, v.Version); err != nil {
				return err
			}
			return logAction(ctx, tx, m.t, v.Version, "rollback", "")
		}); err != nil {
			return res, err
		}
	}
	res.Duration = time.Since(start)
	m.emit(Event{Kind: EventDone, Direction: Down, Version: v.Version, Name: v.Name, Total: res.Statements, Duration: res.Duration})
	m.cfg.Logger.Info("migrate: rolled back", "version", v.Version, "name", v.Name, "duration", res.Duration)
	return res, nil
}
