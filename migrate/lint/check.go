package lint

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/migrate"
)

// DB is what the review queries: *pgxpool.Pool, *pgx.Conn and pgx.Tx satisfy it.
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

// A Check is one concern of the review, reported under a stable check name (the names
// of [governance.MigrationChecks] for the built-in ones). The review replays the
// directory on the dev database once; after each reviewed version it calls every check
// of [Options.Checks] with a [Pass] for that version. The built-in checks ([Builtin])
// report what the replay found for their concern; a check of your own inspects the
// statements (with PostgreSQL's parse trees) and the dev database, and reports through
// [Pass.Report]. Its findings get severities from the policy and honour
// -- lsos:allow directives like the built-in ones.
type Check interface {
	// Name is the check name findings carry, e.g. "lock-risk" or "team-naming".
	Name() string
	// Review inspects one version. An error stops the review; a problem in the
	// migration is a finding, not an error.
	Review(ctx context.Context, pass *Pass) error
}

// Pass is one reviewed version as a [Check] sees it.
type Pass struct {
	// Version and File name the version and its forward file.
	Version string
	File    string
	// SQL is the forward file's text; Statements its statements, split as the executor
	// splits them, each with PostgreSQL's parse tree.
	SQL        string
	Statements []Statement
	// Directives are the file's -- lsos: directives.
	Directives migrate.Directives
	// Dev is the dev database with every version up to this one applied. Read it; a
	// check must not change it.
	Dev DB
	// Policy is the policy under review.
	Policy *governance.Policy

	computed []rawFinding // the replay's findings for this version
	report   func(rawFinding)
	stmtAt   func(line int) int
}

// Statement is one statement of a reviewed file.
type Statement struct {
	SQL  string
	Line int
	// Node is PostgreSQL's parse tree of the statement.
	Node *pg.Node
}

// Report records a finding of the check. File defaults to the pass's file and Object
// to the version; Check must be the check's name. Severity is set from the policy (the
// default for a check of your own is warning). Line places the finding on a statement,
// so an allow directive above that statement can accept it.
func (p *Pass) Report(f governance.Finding) {
	if f.File == "" {
		f.File = p.File
	}
	if f.Object == "" {
		f.Object = p.Version
	}
	idx := -1
	if f.File == p.File && f.Line > 0 {
		idx = p.stmtAt(f.Line)
	}
	p.report(rawFinding{Finding: f, stmt: idx})
}

// builtin is a check whose findings the replay computes.
type builtin string

func (b builtin) Name() string { return string(b) }

// Review reports the replay's findings of this check for the pass's version.
func (b builtin) Review(_ context.Context, pass *Pass) error {
	for _, rf := range pass.computed {
		if rf.Check == string(b) {
			pass.report(rf)
		}
	}
	return nil
}

// Builtin returns the review's built-in checks: the ten of policy §2-4 and §10
// (missing-rollback, checksum-mismatch, destructive-change, backward-incompatible,
// lock-risk, index-impact, tenant-isolation, unclassified-column, sensitive-change,
// missing-approval), invalid-migration, and the atlas-* checks that carry Atlas's
// sqlcheck diagnostics no check of ours covers. Leave one out of [Options.Checks] to
// switch it off.
func Builtin() []Check {
	var out []Check
	for _, n := range append(governance.MigrationChecks(), governance.AtlasChecks()...) {
		out = append(out, builtin(n))
	}
	return out
}

// checkNames validates the checks of the options and returns their names.
func checkNames(checks []Check) (map[string]bool, error) {
	names := map[string]bool{}
	for i, c := range checks {
		if c == nil {
			return nil, fmt.Errorf("%w: Options.Checks[%d] is nil", ErrOptions, i)
		}
		n := c.Name()
		if n == "" {
			return nil, fmt.Errorf("%w: Options.Checks[%d] has no name", ErrOptions, i)
		}
		if names[n] {
			return nil, fmt.Errorf("%w: Options.Checks lists %q twice", ErrOptions, n)
		}
		names[n] = true
	}
	return names, nil
}
