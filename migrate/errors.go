package migrate

import (
	"errors"
	"fmt"
	"strings"
)

// Directory errors, wrapped in a *FileError that names the file.
var (
	ErrBadName          = errors.New("bad file name: want <version>_<name>.up.sql or .down.sql with version YYYYMMDDHHMMSS (UTC) and a lower-case name")
	ErrDuplicateVersion = errors.New("duplicate version")
	ErrMissingRollback  = errors.New("missing rollback file")
	ErrMissingForward   = errors.New("rollback file without a forward file")
	ErrNoSum            = errors.New("no atlas.sum checksum file; run govctl migrate hash")
	ErrCorruptSum       = errors.New("atlas.sum is not a valid checksum file")
	ErrNotInSum         = errors.New("file is not in atlas.sum; review it, then run govctl migrate hash")
	ErrRemovedFromDir   = errors.New("file is listed in atlas.sum but missing from the directory; restore it, or run govctl migrate hash if removing it was intended")
	ErrChecksumMismatch = errors.New("checksum mismatch: the file was edited after atlas.sum was written; revert the edit, or review it and run govctl migrate hash")
	ErrSyntax           = errors.New("SQL syntax error")
	ErrBadDirective     = errors.New("bad -- lsos: directive")
	// ErrNotInTransaction: a statement the executor cannot run as the file is written
	// (transaction control, or a command PostgreSQL refuses in a transaction block).
	ErrNotInTransaction = errors.New("statement cannot run as the file is written")
)

// Executor errors.
var (
	// ErrDirty: a no-transaction migration failed part-way; resolve it first.
	ErrDirty = errors.New("migrate: the database has a dirty revision")
	// ErrHistory: the applied history does not match the directory.
	ErrHistory = errors.New("migrate: applied history does not match the migration directory")
	// ErrLockTimeout: another migrator held the advisory lock for longer than LockWait.
	ErrLockTimeout = errors.New("migrate: timed out waiting for the migration lock")
	// ErrOutsideWindow: a maintenance-window version is pending outside every window.
	ErrOutsideWindow = errors.New("migrate: outside the maintenance window")
	// ErrUnknownVersion: a version argument names no version of the directory.
	ErrUnknownVersion = errors.New("migrate: unknown version")
)

// FileError names the file (and line, when known) a directory problem is in.
type FileError struct {
	File string
	Line int
	Err  error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("migrate: %s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("migrate: %s: %v", e.File, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// HistoryProblem is one mismatch between the revisions table and the directory.
type HistoryProblem struct {
	Version string
	Name    string
	Kind    string // "changed", "missing", "out-of-order"
	Detail  string
}

// HistoryError lists every mismatch found; nothing was run.
type HistoryError struct{ Problems []HistoryProblem }

func (e *HistoryError) Error() string {
	var b strings.Builder
	b.WriteString("migrate: applied history does not match the migration directory; nothing was run:")
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s_%s: %s: %s", p.Version, p.Name, p.Kind, p.Detail)
	}
	return b.String()
}

func (e *HistoryError) Unwrap() error { return ErrHistory }

// DirtyError reports a dirty revision left by a failed no-transaction migration.
type DirtyError struct {
	Version        string
	Name           string
	FailedStmt     int // 0-based index of the statement that failed; -1 when the run was interrupted
	InvalidIndexes []string
	Err            error // the statement's error, when this run failed it
}

func (e *DirtyError) Error() string {
	what := fmt.Sprintf("statement %d of its no-transaction file failed", e.FailedStmt+1)
	if e.FailedStmt < 0 {
		what = "a run of its no-transaction file was interrupted"
	}
	if e.Err != nil {
		what += " (" + e.Err.Error() + ")"
	}
	msg := fmt.Sprintf("migrate: version %s_%s is dirty: %s; check which of its statements took effect and finish or undo them by hand, then run govctl migrate resolve %s --applied|--rolled-back --reason \"…\"",
		e.Version, e.Name, what, e.Version)
	if len(e.InvalidIndexes) > 0 {
		msg += "; INVALID indexes left by a failed CREATE INDEX CONCURRENTLY (drop them with DROP INDEX CONCURRENTLY before retrying): " + strings.Join(e.InvalidIndexes, ", ")
	}
	return msg
}

func (e *DirtyError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrDirty, e.Err}
	}
	return []error{ErrDirty}
}

// WindowError: Up stopped before a maintenance-window version.
type WindowError struct {
	Version  string
	Name     string
	Windows  []string
	NextOpen string // RFC 3339 time the next window opens, "" when no window is configured
}

func (e *WindowError) Error() string {
	if len(e.Windows) == 0 {
		return fmt.Sprintf("migrate: version %s_%s needs a maintenance window but the policy names none (migrations.maintenance_windows); add one or apply with the window override", e.Version, e.Name)
	}
	return fmt.Sprintf("migrate: version %s_%s must run in a maintenance window (%s); the next one opens at %s; run then, or apply with the window override (recorded)", e.Version, e.Name, strings.Join(e.Windows, "; "), e.NextOpen)
}

func (e *WindowError) Unwrap() error { return ErrOutsideWindow }

// StatementError is the failure of one statement of a migration file.
type StatementError struct {
	Version string
	File    string
	Index   int // 0-based
	Line    int
	Err     error
}

func (e *StatementError) Error() string {
	return fmt.Sprintf("migrate: %s:%d (statement %d): %v", e.File, e.Line, e.Index+1, e.Err)
}

func (e *StatementError) Unwrap() error { return e.Err }

// PartialError reports a run that applied some versions and then failed on one.
type PartialError struct {
	Applied []Result // versions completed before the failure
	Failed  Result   // the version that failed
	Err     error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("migrate: applied %d version(s), then %s_%s failed: %v", len(e.Applied), e.Failed.Version, e.Failed.Name, e.Err)
}

func (e *PartialError) Unwrap() error { return e.Err }

// Errors of [Drift].
var (
	// ErrDevNotEmpty: the dev database already holds tables, so it may be a real
	// database; Drift replays migrations there and must never touch the live one.
	ErrDevNotEmpty = errors.New("migrate: the dev database is not empty; give an empty scratch database (Drift replays the applied versions there)")
	// ErrReplay: an applied version fails on the dev database.
	ErrReplay = errors.New("migrate: replaying an applied version failed")
)
