package integrity

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/lsos/lsosgov/governance"
)

// Check is one integrity check. Name is the stable check name of the findings (the
// governance.Check… constants); Code the stable code of its primary finding. Run reports
// what it finds as findings and returns an error only when it could not check.
type Check interface {
	Name() string
	Code() string
	Run(ctx context.Context, db DB, p *governance.Policy, env *Env) (governance.Findings, error)
}

// Env is what a check runs with. A nil *Env, or zero fields, get the defaults, so a
// check can run on its own: check.Run(ctx, db, policy, nil).
type Env struct {
	// Catalog is the shared schema snapshot; nil makes the check read its own (leaving
	// out the SDK's schemas under the policy the check runs with).
	Catalog *Catalog
	// Tables restricts the check to these tables (nil: all). Relationship checks select
	// by the child (referencing) table.
	Tables []governance.QualifiedName
	// Now is the clock for time-dependent checks (missing-partition); default time.Now.
	Now func() time.Time
	// Parallelism bounds the tables a data check scans at once (default 4; 1 unless db
	// is a pool).
	Parallelism int
	// StatementTimeout bounds each data query (default 5 minutes).
	StatementTimeout time.Duration
	// Samples is how many sample keys an orphan finding lists (default 5; -1 none).
	Samples int
	// BatchRows, when above zero, makes the orphan check scan a child table in key
	// ranges of about this many key values, one statement each, so a very large table
	// is checked in bounded statements and can be resumed (see Resume).
	BatchRows int64
	// Resume maps a relationship object (as in findings) to the batch key to start
	// from, taken from a progress event of an earlier, interrupted run.
	Resume map[string]int64
	// SoftDeleteColumn names the soft-delete marker of parent tables (default deleted_at).
	SoftDeleteColumn string
	// Logger receives debug logs (nil: discard).
	Logger *slog.Logger
	// Progress, when set, is called as units of work finish; it may be called from
	// several goroutines at once.
	Progress func(Event)
}

// Event reports progress of a run.
type Event struct {
	Check  string
	Object string
	// Done and Total count units (tables, relationships, batches) of the check.
	Done, Total int
	// ResumeKey is, for a batched orphan scan, the key to pass in Env.Resume to continue
	// after this batch.
	ResumeKey *int64
	Elapsed   time.Duration
}

// withDefaults returns a copy of env with defaults filled in.
func (e *Env) withDefaults() *Env {
	var c Env
	if e != nil {
		c = *e
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Parallelism <= 0 {
		c.Parallelism = 4
	}
	if c.StatementTimeout <= 0 {
		c.StatementTimeout = 5 * time.Minute
	}
	if c.Samples == 0 {
		c.Samples = 5
	}
	if c.SoftDeleteColumn == "" {
		c.SoftDeleteColumn = "deleted_at"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &c
}

// prepare is every check's first step: defaults filled in, and the catalog snapshot read
// once per run (shared by all schema checks through the Env).
func (e *Env) prepare(ctx context.Context, db DB, p *governance.Policy) (*Env, *Catalog, error) {
	e = e.withDefaults()
	cat, err := e.catalog(ctx, db, p)
	return e, cat, err
}

// catalog returns the shared snapshot or reads one.
func (e *Env) catalog(ctx context.Context, db DB, p *governance.Policy) (*Catalog, error) {
	if e.Catalog != nil {
		return e.Catalog, nil
	}
	c, err := ReadCatalog(ctx, db, p)
	if err != nil {
		return nil, err
	}
	e.Catalog = c
	return c, nil
}

// selected reports whether t is in the table filter. A partition is selected with its
// parent.
func (e *Env) selected(cat *Catalog, t *Table) bool {
	if len(e.Tables) == 0 {
		return true
	}
	for t.IsPartition() && cat.Table(t.PartitionOf) != nil {
		if e.selectedName(t.Name) {
			return true
		}
		t = cat.Table(t.PartitionOf)
	}
	return e.selectedName(t.Name)
}

func (e *Env) selectedName(n governance.QualifiedName) bool {
	for _, f := range e.Tables {
		if f.Name == n.Name && (f.Schema == "" || f.Schema == n.Schema) {
			return true
		}
	}
	return false
}

// selectedTables returns the tables and partitions in the table filter.
func (e *Env) selectedTables(cat *Catalog) []*Table {
	var out []*Table
	for _, t := range cat.Tables {
		if e.selected(cat, t) {
			out = append(out, t)
		}
	}
	return out
}

// checkedTables returns the top-level (non-partition) tables selected for checking.
func (e *Env) checkedTables(cat *Catalog) []*Table {
	var out []*Table
	for _, t := range cat.Tables {
		if !t.IsPartition() && e.selected(cat, t) {
			out = append(out, t)
		}
	}
	return out
}

func (e *Env) progress(ev Event) {
	if e.Progress != nil {
		e.Progress(ev)
	}
}

// Codes of the findings. They are stable: extend, never renumber.
const (
	CodeMissingFK           = "IN101"
	CodeTenantColumnMissing = "IN102"
	CodeTenantNullable      = "IN103"
	CodeTenantNoRootFK      = "IN104"
	CodeTenantFKUnscoped    = "IN105"
	CodeUnscopedUnique      = "IN106"
	CodeFKMissingIndex      = "IN107"
	CodeNotValidConstraint  = "IN108"
	CodeInvalidIndex        = "IN109"
	CodeMissingPartition    = "IN110"
	CodeOrphanedRows        = "IN201"
	CodeSoftDeletedParent   = "IN202"
	CodeDuplicateSnapshots  = "IN203"
)

// SchemaChecks returns the checks that read only the catalog; a run reads it once for
// all of them. Each call returns a fresh slice the caller may change.
func SchemaChecks() []Check {
	return []Check{
		MissingFK{}, TenantIsolation{}, UnscopedUnique{}, FKMissingIndex{},
		NotValidConstraint{}, InvalidIndex{}, MissingPartition{},
	}
}

// DataChecks returns the checks that scan table data, in read-only transactions, tables
// in parallel. Each call returns a fresh slice the caller may change.
func DataChecks() []Check { return []Check{OrphanedRows{}, DuplicateSnapshots{}} }

// All returns every check: the schema checks, then the data checks. Each call returns a
// fresh slice the caller may change.
func All() []Check { return append(SchemaChecks(), DataChecks()...) }

// isDataCheck reports whether c scans data (as opposed to the catalog only).
func isDataCheck(c Check) bool {
	_, ok := c.(interface{ scansData() })
	return ok
}

// Select returns the checks of [All] with the given names, in All's order. An unknown
// name is an error listing the known ones.
func Select(names ...string) ([]Check, error) {
	all := All()
	var out []Check
	for _, n := range names {
		n = strings.TrimSpace(n)
		i := slices.IndexFunc(all, func(c Check) bool { return c.Name() == n })
		if i < 0 {
			return nil, fmt.Errorf("%w: %q (known: %s)", ErrUnknownCheck, n, strings.Join(Names(), ", "))
		}
		if !slices.ContainsFunc(out, func(c Check) bool { return c.Name() == n }) {
			out = append(out, all[i])
		}
	}
	slices.SortStableFunc(out, func(a, b Check) int {
		return slices.IndexFunc(all, func(c Check) bool { return c.Name() == a.Name() }) -
			slices.IndexFunc(all, func(c Check) bool { return c.Name() == b.Name() })
	})
	return out, nil
}

// Names lists the names of [All].
func Names() []string {
	all := All()
	out := make([]string, len(all))
	for i, c := range all {
		out[i] = c.Name()
	}
	return out
}

// finding builds a finding of check c with the policy's severity for it.
func finding(p *governance.Policy, check, code string, def governance.Severity, object, msg string, count int64) governance.Finding {
	return governance.Finding{Check: check, Code: code, Severity: p.SeverityFor(check, def), Object: object, Message: msg, Count: count}
}

// policyEntryFinding reports a policy entry (a snapshot key, a relationship) that names
// a table or column the database lacks. An entry the policy file or the program states
// is a claim about this schema: a warning, which the policy's severities may change. A
// built-in default the file did not name is only a guess about a typical LSOS schema:
// info, whatever the severities say.
func policyEntryFinding(p *governance.Policy, check, code string, inherited bool, object, msg string) governance.Finding {
	if inherited {
		return governance.Finding{Check: check, Code: code, Severity: governance.SeverityInfo, Object: object, Message: msg}
	}
	return finding(p, check, code, governance.SeverityWarning, object, msg, 0)
}
