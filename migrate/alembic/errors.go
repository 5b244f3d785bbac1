package alembic

import (
	"errors"
	"fmt"
	"strings"
)

// Errors reading a script directory, wrapped in a *[FileError] that names the file
// and line.
var (
	// ErrSyntax: the revision file is not Python this package can read (an
	// unterminated string, an unbalanced bracket, a stray character).
	ErrSyntax = errors.New("python syntax error")
	// ErrNoRevision: the file has no top-level `revision = "…"` assignment.
	ErrNoRevision = errors.New("no `revision = \"…\"` assignment; every Alembic revision file declares its id")
	// ErrBadValue: a revision identifier is not a literal of the expected form.
	ErrBadValue = errors.New("unsupported value")
	// ErrDuplicateRevision: two files declare the same revision id.
	ErrDuplicateRevision = errors.New("duplicate revision id")
	// ErrConfig: alembic.ini cannot be read or names no usable script directory.
	ErrConfig = errors.New("alembic configuration")
)

// Errors about the revision graph and the database.
var (
	// ErrGraph: the revision graph has a cycle or a reference to a revision the
	// directory does not have; nothing that needs an apply order can run.
	ErrGraph = errors.New("alembic: invalid revision graph")
	// ErrPending: the database is behind the directory's head revision(s).
	ErrPending = errors.New("alembic: revisions are pending")
	// ErrUnknownRevision: alembic_version holds a revision the directory does not know.
	ErrUnknownRevision = errors.New("alembic: the database is at a revision the script directory does not know")
	// ErrToolNotFound: Alembic is not installed (or not where Config.Command says).
	ErrToolNotFound = errors.New("alembic: the Alembic command-line tool is not installed")
	// ErrCommand: the Alembic command failed.
	ErrCommand = errors.New("alembic: command failed")
	// ErrOutput: Alembic's offline output could not be split into revisions.
	ErrOutput = errors.New("alembic: unexpected offline output")
	// ErrNotFresh: RoundTrip or Import needs a database without Alembic history.
	ErrNotFresh = errors.New("alembic: the database already has Alembic history")
	// ErrRoundTrip: a downgrade did not restore the schema.
	ErrRoundTrip = errors.New("alembic: downgrade does not restore the schema")
)

// FileError names the file (and line, when known) a problem is in.
type FileError struct {
	File string
	Line int
	Err  error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("alembic: %s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("alembic: %s: %v", e.File, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// syntaxError is an ErrSyntax with a message.
func syntaxError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSyntax, fmt.Sprintf(format, args...))
}

// GraphError reports what makes the revision graph unusable.
type GraphError struct {
	// Cycle lists the revision ids of one cycle, in order, when there is one.
	Cycle []string
	// Dangling lists the references to revisions the directory does not have.
	Dangling []Dangling
}

func (e *GraphError) Error() string {
	var parts []string
	if len(e.Cycle) > 0 {
		parts = append(parts, "cycle "+strings.Join(append(e.Cycle, e.Cycle[0]), " -> "))
	}
	for _, d := range e.Dangling {
		parts = append(parts, d.String())
	}
	return "alembic: invalid revision graph: " + strings.Join(parts, "; ") + "; fix the revision files (alembic history shows the graph)"
}

func (e *GraphError) Unwrap() error { return ErrGraph }

// NotAtHeadError is returned by [RequireHead] when the database is not exactly at the
// directory's head revision(s).
type NotAtHeadError struct {
	Current []string    // the revisions in alembic_version
	Heads   []string    // the directory's heads
	Pending []*Revision // revisions not applied, in apply order
	Unknown []string    // revisions in alembic_version the directory does not know
}

func (e *NotAtHeadError) Error() string {
	var b strings.Builder
	cur := "nothing applied (no alembic_version rows)"
	if len(e.Current) > 0 {
		cur = "at " + strings.Join(e.Current, ", ")
	}
	fmt.Fprintf(&b, "alembic: the database is %s, not at head %s", cur, strings.Join(e.Heads, ", "))
	if len(e.Unknown) > 0 {
		fmt.Fprintf(&b, "; alembic_version holds %s, which the script directory does not know (the database was migrated by a newer build or another branch; deploy the build that has it, or fix alembic_version)", strings.Join(e.Unknown, ", "))
	}
	if len(e.Pending) > 0 {
		ids := make([]string, len(e.Pending))
		for i, r := range e.Pending {
			ids[i] = r.ID
			if r.Message != "" {
				ids[i] += " (" + r.Message + ")"
			}
		}
		fmt.Fprintf(&b, "; %d pending: %s; run `alembic upgrade heads` before starting", len(e.Pending), strings.Join(ids, ", "))
	}
	return b.String()
}

func (e *NotAtHeadError) Unwrap() []error {
	var errs []error
	if len(e.Pending) > 0 {
		errs = append(errs, ErrPending)
	}
	if len(e.Unknown) > 0 {
		errs = append(errs, ErrUnknownRevision)
	}
	return errs
}

// ToolNotFoundError reports that the Alembic command could not be found.
type ToolNotFoundError struct {
	Tried []string // the commands tried, e.g. "alembic", "python3 -m alembic"
	Path  string   // the PATH they were looked up in
}

func (e *ToolNotFoundError) Error() string {
	return fmt.Sprintf("alembic: Alembic is not installed: tried %s (PATH=%s); install it (Debian/Ubuntu: apt-get install alembic python3-psycopg2) or set Config.Command",
		strings.Join(e.Tried, ", "), e.Path)
}

func (e *ToolNotFoundError) Unwrap() error { return ErrToolNotFound }

// CommandError is a failed run of the Alembic command.
type CommandError struct {
	Args     []string // the command line (database URLs redacted)
	ExitCode int
	Stderr   string // the last lines of its standard error
	Hint     string // what to do, when the failure is a known one
	Err      error
}

func (e *CommandError) Error() string {
	msg := fmt.Sprintf("alembic: %s failed", strings.Join(e.Args, " "))
	if e.ExitCode != 0 {
		msg += fmt.Sprintf(" (exit status %d)", e.ExitCode)
	} else if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ":\n" + s
	}
	return msg
}

func (e *CommandError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrCommand, e.Err}
	}
	return []error{ErrCommand}
}

// RoundTripError reports a downgrade that did not restore the schema to what it was
// before its upgrade.
type RoundTripError struct {
	Revision string // the revision whose downgrade() is at fault
	File     string // its revision file
	Diff     string // go-cmp diff: -before upgrade, +after downgrade
}

func (e *RoundTripError) Error() string {
	return fmt.Sprintf("alembic: downgrade() of revision %s (%s) does not restore the schema as it was before its upgrade(); make the downgrade undo every change (-before upgrade, +after downgrade):\n%s",
		e.Revision, e.File, e.Diff)
}

func (e *RoundTripError) Unwrap() error { return ErrRoundTrip }
