package lint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.yaml.in/yaml/v3"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/migrate"
)

// DB is the database interface the review takes (a pool, a connection or a transaction).

// Options tune [Review]. The zero value reviews every version with the default policy
// and the wall clock.
type Options struct {
	// Policy decides severities, the deprecation window, the tenant column and the
	// approvals; nil means [governance.Default].
	Policy *governance.Policy
	// Now is the clock that decides whether a deprecation window has passed.
	Now func() time.Time
	// Since reviews only the versions after it; earlier versions are replayed on the dev
	// database without review. "" reviews every version.
	Since string
	// Classifier places new and changed columns in a data class; nil means
	// [DefaultClassifier] of the policy.
	Classifier Classifier
	// Stats, when set, is the (read-only) database whose pg_class statistics size the
	// index impact, usually the target; nil uses the dev database.
	Stats DB
	// Target, when set, is the (read-only) database the directory is deployed to. A
	// deprecation window then runs from when the deprecating version was applied there
	// (its row in the revisions table of package migrate), not from the version's
	// timestamp; a deprecating version not applied there yet allows no drop. It does not
	// imply Stats: set both to size the index impact from the target too.
	Target DB
	// RevisionsSchema is the schema of the target's revisions table; "" means
	// [DefaultRevisionsSchema] ("lsos_migrate", package migrate's default Config.Schema).
	RevisionsSchema string
	// AppliedAt gives when each version was applied on the target, instead of reading it
	// from Target (a caller that already holds the revisions). Setting both is an error.
	AppliedAt map[string]time.Time
	// Logger receives progress; nil discards.
	Logger *slog.Logger
	// Checks are the checks to run; nil means [Builtin]. Add a [Check] of your own to
	// extend the review, leave a built-in one out to switch it off.
	Checks []Check
}

// Errors of the review.
var (
	// ErrDevNotEmpty: the dev database already holds tables, so it may be a real
	// database; the review replays migrations there and must never touch the target.
	ErrDevNotEmpty = errors.New("review: the dev database is not empty; give an empty scratch database (the review replays every migration there)")
	// ErrBadDirective: a `-- lsos:` directive cannot be read.
	ErrBadDirective = errors.New("review: malformed directive")
	// ErrOptions: the options conflict or are malformed.
	ErrOptions = errors.New("review: invalid options")
	// ErrReplay: an already-applied version (at or before Since) fails on the dev database.
	ErrReplay = errors.New("review: replaying an earlier version failed")
)

// defaultSeverity is the default per check; the policy can override each.
var defaultSeverity = map[string]governance.Severity{
	governance.CheckMissingRollback:      governance.SeverityError,
	governance.CheckChecksumMismatch:     governance.SeverityError,
	governance.CheckDestructiveChange:    governance.SeverityError,
	governance.CheckBackwardIncompatible: governance.SeverityError,
	governance.CheckLockRisk:             governance.SeverityError,
	governance.CheckTenantIsolation:      governance.SeverityError,
	governance.CheckMissingApproval:      governance.SeverityError,
	governance.CheckUnclassifiedColumn:   governance.SeverityWarning,
	governance.CheckSensitiveChange:      governance.SeverityWarning,
	governance.CheckIndexImpact:          governance.SeverityInfo,
	governance.CheckInvalidMigration:     governance.SeverityError,
}

// Report is the outcome of a review.
type Report struct {
	Findings    governance.Findings `json:"findings"`
	Suppressed  []Suppressed        `json:"suppressed,omitempty"`
	Approvals   []Approval          `json:"approvals"`
	Flags       []Flag              `json:"flags,omitempty"`
	IndexImpact []IndexImpact       `json:"index_impact,omitempty"`
	Reviewed    []string            `json:"reviewed"`
	Static      []StaticStatement   `json:"static,omitempty"`
	// Atlas lists the diagnostics of Atlas's sqlcheck analyzers and what became of each.
	Atlas *AtlasReport `json:"atlas,omitempty"`
	// DevTime is the time spent on the dev database (replay and catalog reads).
	DevTime time.Duration `json:"-"`
	// Total is the wall time of the review.
	Total time.Duration `json:"-"`
}

// Suppressed is a finding an `-- lsos:allow` directive accepted, with its reason.
type Suppressed struct {
	Finding governance.Finding `json:"finding"`
	Reason  string             `json:"reason"`
	Line    int                `json:"line"` // line of the directive
}

// Approval lists the sign-offs policy §10 requires for one version.
type Approval struct {
	Version  string                `json:"version"`
	File     string                `json:"file"`
	Required []governance.Approver `json:"required"`
	Given    []governance.Approver `json:"given"`
	Missing  []governance.Approver `json:"missing"`
	Why      []string              `json:"why"`
}

// Flag is a feature flag that must be fully rolled out before a contract step deploys.
type Flag struct {
	Flag          string `json:"flag"`
	Version       string `json:"version"`
	File          string `json:"file"`
	ExpandVersion string `json:"expand_version"`
}

// IndexImpact describes an index a migration adds or drops on an existing table.
type IndexImpact struct {
	File            string  `json:"file"`
	Line            int     `json:"line"`
	Action          string  `json:"action"` // create | drop
	Index           string  `json:"index"`
	Table           string  `json:"table"`
	Columns         string  `json:"columns"`
	Concurrent      bool    `json:"concurrent"`
	Rows            int64   `json:"rows"`
	TableBytes      int64   `json:"table_bytes"`
	EstIndexBytes   int64   `json:"est_index_bytes"`
	EstBuildSeconds float64 `json:"est_build_seconds"`
}

// StaticStatement is a statement that could not run on the dev database; it was
// reviewed from its parse tree alone.
type StaticStatement struct {
	File  string `json:"file"`
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// rawFinding is a finding before severity and suppression are applied.
type rawFinding struct {
	governance.Finding
	stmt int // index of the statement in its file (-1: the whole file)
}

// reviewer holds the state of one review.
type reviewer struct {
	o       Options
	p       *governance.Policy
	dev     DB
	stats   DB
	classf  Classifier
	log     *slog.Logger
	dir     *dirView
	parsed  [][]stmt
	dirs    []*migrate.Directives
	rep     *Report
	raw     []rawFinding
	devTime time.Duration
	pending []pendingColumn
	// enabled names the checks of Options.Checks.
	enabled map[string]bool
	// kept holds the findings the checks reported, before severities and allows.
	kept []rawFinding
	// refused holds, per file, the statement the executor would refuse.
	refused map[int]*migrate.FileError
	// retention marks files that drop, truncate or detach data under a retention rule.
	retention map[string]bool
	// applied holds when each version was applied on the target; nil without a target
	// (deprecation windows then run from the version timestamps).
	applied map[string]time.Time
	// atlas runs Atlas's sqlcheck analyzers on each reviewed file (nil when unavailable).
	atlas *atlasRun
}

// Review replays d on the empty scratch database dev, reviewing every version after
// o.Since against the policy, and returns the findings with the approvals each version
// needs. Findings are not errors: the error is for a review that could not be done.
func Review(ctx context.Context, dev DB, md *migrate.Dir, o Options) (*Report, error) {
	d, err := viewOf(md)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if o.Policy == nil {
		o.Policy = governance.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Since != "" {
		if _, err := versionTime(o.Since); err != nil {
			return nil, err
		}
	}
	if o.Target != nil && o.AppliedAt != nil {
		return nil, fmt.Errorf("%w: Options.Target and Options.AppliedAt are both set; give the target database or the applied times, not both", ErrOptions)
	}
	r := &reviewer{o: o, p: o.Policy, dir: d, rep: &Report{Findings: governance.Findings{}}, retention: map[string]bool{}}
	r.applied = o.AppliedAt
	if o.Target != nil {
		applied, err := ReadApplied(ctx, o.Target, o.RevisionsSchema)
		if err != nil {
			return nil, err
		}
		r.applied = applied
	}
	r.log = o.Logger
	if r.log == nil {
		r.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r.classf = o.Classifier
	if r.classf == nil {
		r.classf = DefaultClassifier(o.Policy)
	}
	dev0 := dev
	if pool, ok := dev.(*pgxpool.Pool); ok {
		// One session, so SET statements of a file apply to its later statements.
		c, err := pool.Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("review: dev database: %w", err)
		}
		defer c.Release()
		dev = c
	}
	r.dev = dev
	r.stats = o.Stats
	if r.stats == nil {
		r.stats = dev
	}
	t0 := time.Now()
	tables, err := userTables(ctx, dev)
	r.devTime += time.Since(t0)
	if err != nil {
		return nil, fmt.Errorf("review: dev database: %w", err)
	}
	if len(tables) > 0 {
		return nil, ErrDevNotEmpty
	}
	r.parseAll()
	r.rep.Atlas = &AtlasReport{Analyzers: []string{}, Diagnostics: []AtlasDiagnostic{}}
	atl, skipped, err := openAtlas(ctx, dev0)
	if err != nil {
		return nil, err
	}
	defer atl.close()
	r.atlas, r.rep.Atlas.Skipped = atl, skipped
	if atl != nil {
		for _, a := range atl.analyzers {
			r.rep.Atlas.Analyzers = append(r.rep.Atlas.Analyzers, a.Name())
		}
	}
	if o.Checks == nil {
		o.Checks = Builtin()
		r.o.Checks = o.Checks
	}
	if r.enabled, err = checkNames(o.Checks); err != nil {
		return nil, err
	}
	record, err := r.approvalRecord()
	if err != nil {
		return nil, err
	}
	r.checksums()
	for i := range d.Files {
		f := &d.Files[i]
		if o.Since != "" && f.Version <= o.Since {
			if err := r.replay(ctx, i); err != nil {
				return nil, err
			}
			continue
		}
		r.rep.Reviewed = append(r.rep.Reviewed, f.Name)
		if err := r.reviewFile(ctx, i); err != nil {
			return nil, err
		}
		r.refusedFinding(i)
		r.approvalFor(i, record)
		if err := r.runChecks(ctx, i); err != nil {
			return nil, err
		}
	}
	r.finish()
	r.rep.DevTime = r.devTime
	r.rep.Total = time.Since(start)
	return r.rep, nil
}

// parseAll splits and parses every file, and turns what package migrate's loader and
// executor would refuse into invalid-migration findings (IM101 a directive, IM102 a
// statement that cannot run as the file is written, IM103 SQL that does not parse), so
// a directory that passes the review also loads and runs.
func (r *reviewer) parseAll() {
	r.refused = map[int]*migrate.FileError{}
	for _, p := range r.dir.Problems {
		f := r.fileByRaw(filepath.Base(p.File))
		if !r.underReview(f) {
			continue
		}
		r.add(f, -1, p.Line, governance.CheckInvalidMigration, "IM101", f.Version, p.Err.Error()+" (migrate.Load refuses the file)")
	}
	for i := range r.dir.Files {
		f := &r.dir.Files[i]
		r.dirs = append(r.dirs, f.Directives)
		st, err := splitStatements(f.Name, f.SQL)
		if err != nil {
			if r.underReview(f) {
				r.add(f, -1, lineOf(err), governance.CheckInvalidMigration, "IM103", f.Version, err.Error())
			}
			r.parsed = append(r.parsed, nil)
			continue
		}
		r.parsed = append(r.parsed, st)
		if !r.underReview(f) {
			continue
		}
		for _, mf := range []*migrate.File{f.up, f.down} {
			if mf == nil {
				continue
			}
			var fe *migrate.FileError
			if _, err := mf.Statements(); errors.As(err, &fe) && errors.Is(err, migrate.ErrNotInTransaction) {
				if mf == f.up {
					r.refused[i] = fe // reported after the file's review, unless lock-risk covers it
					continue
				}
				r.raw = append(r.raw, rawFinding{Finding: governance.Finding{Check: governance.CheckInvalidMigration, Code: "IM102",
					Object: f.Version, Message: fe.Err.Error() + " (migrate down refuses the rollback file)", File: mf.Name, Line: fe.Line}, stmt: -1})
			} else if err != nil && f.down == mf {
				r.raw = append(r.raw, rawFinding{Finding: governance.Finding{Check: governance.CheckInvalidMigration, Code: "IM103",
					Object: f.Version, Message: err.Error(), File: mf.Name, Line: lineOf(err)}, stmt: -1})
			}
		}
	}
}

// underReview reports whether f comes after Options.Since (every file without it).
func (r *reviewer) underReview(f *verFile) bool { return r.o.Since == "" || f.Version > r.o.Since }

// refusedFinding reports the statement of file i that the executor refuses, unless a
// lock-risk finding already names that line (LR103: CONCURRENTLY in a transaction).
func (r *reviewer) refusedFinding(i int) {
	fe := r.refused[i]
	if fe == nil {
		return
	}
	f := &r.dir.Files[i]
	for _, rf := range r.raw {
		if rf.File == f.Name && rf.Line == fe.Line && rf.Code == "LR103" {
			return
		}
	}
	r.add(f, -1, fe.Line, governance.CheckInvalidMigration, "IM102", f.Version, fe.Err.Error()+" (migrate up refuses the file)")
}

// lineOf returns the line a *migrate.FileError names, or 0.
func lineOf(err error) int {
	var fe *migrate.FileError
	if errors.As(err, &fe) {
		return fe.Line
	}
	return 0
}

// exec runs one statement on the dev database, timing it.
func (r *reviewer) exec(ctx context.Context, s stmt) error {
	if s.Node.GetTransactionStmt() != nil {
		return nil // each statement runs on its own; BEGIN/COMMIT add nothing on dev
	}
	t0 := time.Now()
	_, err := r.dev.Exec(ctx, s.SQL)
	r.devTime += time.Since(t0)
	return err
}

func (r *reviewer) replay(ctx context.Context, i int) error {
	f := &r.dir.Files[i]
	if r.atlas != nil {
		r.atlas.cache = nil // the replay changes the schema behind Atlas's back
	}
	// One round trip for the whole file; on failure, statement by statement to name the line.
	var parts []string
	for _, s := range r.parsed[i] {
		if s.Node.GetTransactionStmt() == nil {
			parts = append(parts, s.SQL)
		}
	}
	if len(parts) == 0 {
		return nil
	}
	t0 := time.Now()
	_, err := r.dev.Exec(ctx, strings.Join(parts, ";\n"))
	r.devTime += time.Since(t0)
	if err == nil {
		return nil
	}
	for _, s := range r.parsed[i] {
		if err := r.exec(ctx, s); err != nil {
			return fmt.Errorf("%w: %s:%d: %v (the directory must replay cleanly on an empty database)", ErrReplay, f.Name, s.Line, err)
		}
	}
	return nil // e.g. CONCURRENTLY, which cannot run in the batch's implicit transaction
}

// add records a finding of the current file.
func (r *reviewer) add(f *verFile, stmtIdx, line int, check, code, object, msg string) {
	r.raw = append(r.raw, rawFinding{Finding: governance.Finding{Check: check, Code: code, Object: object,
		Message: msg, File: f.Name, Line: line}, stmt: stmtIdx})
}

// finish applies severities and suppressions and sorts the findings.
func (r *reviewer) finish() {
	byName := map[string]int{}
	for i := range r.dir.Files {
		byName[r.dir.Files[i].Name] = i
	}
	for _, rf := range r.raw {
		// Findings of versions not under review (a checksum of an older file) pass
		// when their check is enabled.
		if r.enabled[rf.Check] {
			r.kept = append(r.kept, rf)
		}
	}
	for _, rf := range r.kept {
		f := rf.Finding
		def, ok := defaultSeverity[f.Check]
		if !ok {
			def, ok = atlasSeverity[f.Check]
		}
		if !ok {
			def = governance.SeverityWarning // a check of the caller's own
		}
		f.Severity = r.p.SeverityFor(f.Check, def)
		if c, ok := LookupCode(f.Code); ok && f.Fix == "" && c.Check == f.Check {
			f.Fix = c.Fix
		}
		if i, ok := byName[f.File]; ok {
			if a, ok := r.allowFor(i, rf); ok {
				if a.Reason != "" {
					r.rep.Suppressed = append(r.rep.Suppressed, Suppressed{Finding: f, Reason: a.Reason, Line: a.Line})
					continue
				}
				f.Message += fmt.Sprintf(` (the lsos:allow on line %d is ignored: it needs reason="why this is safe")`, a.Line)
			}
		}
		r.rep.Findings = append(r.rep.Findings, f)
	}
	r.rep.Findings.Sort()
}

// allowFor finds the allow directive covering rf: a file-wide one, or one in the
// comment lines right before rf's statement.
func (r *reviewer) allowFor(fileIdx int, rf rawFinding) (migrate.Allow, bool) {
	d := r.dirs[fileIdx]
	st := r.parsed[fileIdx]
	for _, a := range d.Allows {
		if a.Check != rf.Check {
			continue
		}
		if a.StatementLine == 0 || rf.stmt >= 0 && rf.stmt < len(st) && a.StatementLine == st[rf.stmt].Line {
			return a, true
		}
	}
	return migrate.Allow{}, false
}

// approvalRecord reads approvals.yaml: the sign-offs recorded per version.
func (r *reviewer) approvalRecord() (map[string][]governance.Approver, error) {
	record := map[string][]governance.Approver{}
	if len(r.dir.Approvals) > 0 {
		var doc struct {
			Approvals map[string][]governance.Approver `yaml:"approvals"`
		}
		if err := yaml.Unmarshal(r.dir.Approvals, &doc); err != nil {
			return nil, fmt.Errorf("lint: approvals.yaml: %v (want approvals: {\"<version>\": [backend-owner, …]})", err)
		}
		record = doc.Approvals
	}
	return record, nil
}

// approvalFor computes the approvals reviewed version i needs and checks the record.
func (r *reviewer) approvalFor(i int, record map[string][]governance.Approver) {
	f := &r.dir.Files[i]
	sensitive := false
	for _, rf := range r.raw {
		sensitive = sensitive || rf.Check == governance.CheckSensitiveChange && rf.File == f.Name
	}
	d := r.dirs[i]
	ret := r.retention[f.Name] || d.RetentionChange
	a := Approval{Version: f.Version, File: f.Name, Why: []string{"schema change (policy §10): backend and platform owners"}}
	if sensitive {
		a.Why = append(a.Why, "touches a sensitive column or its classification: security review")
	}
	if ret {
		a.Why = append(a.Why, "changes retention or deletion: legal/compliance review")
	}
	a.Required = r.p.Approvals.Required(true, sensitive, ret)
	a.Given = append(slices.Clone(record[f.Version]), d.ApprovedBy...)
	a.Missing = []governance.Approver{}
	for _, req := range a.Required {
		if !slices.Contains(a.Given, req) {
			a.Missing = append(a.Missing, req)
		}
	}
	if a.Given == nil {
		a.Given = []governance.Approver{}
	}
	if len(a.Missing) > 0 {
		names := make([]string, len(a.Missing))
		for j, m := range a.Missing {
			names[j] = string(m)
		}
		r.add(f, -1, 1, governance.CheckMissingApproval, "MA101", f.Version,
			fmt.Sprintf("approval missing from %s (%s); record it in approvals.yaml under %q or with -- lsos:approved-by <role>",
				strings.Join(names, ", "), strings.Join(a.Why, "; "), f.Version))
	}
	r.rep.Approvals = append(r.rep.Approvals, a)
}

// runChecks hands reviewed version i to every check of Options.Checks: the replay's
// findings for the version (its forward and rollback file) go to the built-in checks
// through the pass, the statements and the dev database to every check.
func (r *reviewer) runChecks(ctx context.Context, i int) error {
	f := &r.dir.Files[i]
	for _, a := range r.dirs[i].Allows {
		if !r.enabled[a.Check] && !governance.KnownCheck(a.Check) {
			r.add(f, -1, a.Line, governance.CheckInvalidMigration, "IM104", f.Version,
				fmt.Sprintf("-- lsos:allow names check %q, which this review does not run: fix the name (known: %s) or add the check to the review", a.Check, strings.Join(governance.MigrationChecks(), ", ")))
		}
	}
	down := strings.TrimSuffix(f.Name, ".up.sql") + ".down.sql"
	pass := &Pass{Version: f.Version, File: f.Name, SQL: f.SQL, Directives: *r.dirs[i], Dev: r.dev, Policy: r.p}
	var rest []rawFinding
	for _, rf := range r.raw {
		if rf.File == f.Name || rf.File == down {
			pass.computed = append(pass.computed, rf)
		} else {
			rest = append(rest, rf)
		}
	}
	r.raw = rest
	for _, s := range r.parsed[i] {
		pass.Statements = append(pass.Statements, Statement{SQL: s.SQL, Line: s.Line, Node: s.Node})
	}
	pass.stmtAt = func(line int) int {
		for k, s := range r.parsed[i] {
			if line >= s.Line && line <= s.EndLine {
				return k
			}
		}
		return -1
	}
	for _, c := range r.o.Checks {
		name := c.Name()
		pass.report = func(rf rawFinding) {
			rf.Check = name // a check reports under its own name
			r.kept = append(r.kept, rf)
		}
		if err := c.Review(ctx, pass); err != nil {
			return fmt.Errorf("lint: check %s on %s: %w", name, f.Name, err)
		}
	}
	return nil
}

// retentionObject reports whether obj ("schema.table") is a table, or a partition named
// after a table, that a retention rule governs.
func (r *reviewer) retentionObject(obj string) bool {
	_, rel, _ := strings.Cut(obj, ".")
	if i := strings.IndexByte(rel, '.'); i >= 0 {
		rel = rel[:i]
	}
	for _, rule := range r.p.Retention {
		for _, t := range rule.Tables {
			if rel == t || strings.HasPrefix(rel, t+"_") {
				return true
			}
		}
	}
	return false
}
