package migrate

import (
	"context"

	"fmt"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"io"
	"log/slog"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// DB is what the package queries: *pgxpool.Pool, *pgxpool.Conn, *pgx.Conn and pgx.Tx
// satisfy it. A [Migrator] needs a *pgxpool.Pool, *pgxpool.Conn or *pgx.Conn: it holds
// a session-level lock, so it cannot work inside a caller's transaction.
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

// Defaults for [Config].
const (
	DefaultSchema   = "lsos_migrate"
	DefaultLockWait = time.Minute
)

// Config configures a [Migrator]. The zero value is valid: every field has a default.
type Config struct {
	// Schema holds the revisions and revision_log tables; default "lsos_migrate". The
	// advisory lock key is derived from it, so migrators sharing a schema exclude each
	// other.
	Schema string
	// Policy supplies lock_timeout, statement_timeout and maintenance windows; default
	// governance.Default().
	Policy *governance.Policy
	// Logger receives one line per version applied or rolled back; nil discards.
	Logger *slog.Logger
	// Now is the clock that decides maintenance windows; default time.Now.
	Now func() time.Time
	// LockWait bounds how long Up waits for another migrator's lock; default 1 minute.
	LockWait time.Duration
	// AllowOutOfOrder applies a pending version older than the newest applied one
	// instead of refusing.
	AllowOutOfOrder bool
	// WindowOverride, when non-empty, applies maintenance-window versions outside every
	// window; the text is the reason, recorded in the revision row.
	WindowOverride string
	// Progress, when set, receives an event per version and statement.
	Progress func(Event)
}

func (c Config) withDefaults() (Config, error) {
	if c.Schema == "" {
		c.Schema = DefaultSchema
	}
	if err := sqlident.Check(c.Schema); err != nil {
		return c, fmt.Errorf("migrate: Config.Schema: %w", err)
	}
	if c.Policy == nil {
		c.Policy = governance.Default()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.LockWait == 0 {
		c.LockWait = DefaultLockWait
	}
	if c.LockWait < 0 {
		return c, fmt.Errorf("migrate: Config.LockWait must not be negative, got %s", c.LockWait)
	}
	for _, w := range c.Policy.Migrations.MaintenanceWindows {
		if _, err := governance.ParseWindow(w); err != nil {
			return c, fmt.Errorf("migrate: policy migrations.maintenance_windows: %w", err)
		}
	}
	return c, nil
}

// EventKind says what an [Event] reports.
type EventKind string

// Event kinds.
const (
	EventLockWait  EventKind = "lock-wait" // another migrator holds the lock
	EventStart     EventKind = "start"     // a version starts
	EventStatement EventKind = "statement" // a statement finished
	EventDone      EventKind = "done"      // a version finished
	EventFailed    EventKind = "failed"    // a version failed
)

// Event is a progress report.
type Event struct {
	Kind      EventKind
	Direction Direction
	Version   string
	Name      string
	Statement int // 0-based index, for EventStatement and EventFailed
	Total     int // statements in the file
	Duration  time.Duration
}

// Direction is up or down.
type Direction string

// Directions.
const (
	Up   Direction = "up"
	Down Direction = "down"
)

// Kind is how a revision came to be.
type Kind string

// Revision kinds.
const (
	KindTransactional Kind = "transactional"
	KindNoTransaction Kind = "no-transaction"
	KindBaseline      Kind = "baseline"
	KindForced        Kind = "forced"
)

// Result describes one version applied or rolled back.
type Result struct {
	Version    string
	Name       string
	Direction  Direction
	Kind       Kind
	Statements int
	Duration   time.Duration
	Note       string // override notes recorded with the revision
}
