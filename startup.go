package lsosgov

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/classify"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/integrity"
	"github.com/lsos/lsosgov/internal/sqlident"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/migrate/alembic"
)

// Defaults for [StartupConfig].
const (
	DefaultApplyTimeout = 10 * time.Minute
	DefaultCheckTimeout = 30 * time.Second
	DefaultDriftTimeout = 2 * time.Minute
)

// Phase names the step of [Startup] that failed.
type Phase string

// The phases of Startup, in order.
const (
	PhaseConfig    Phase = "config"    // the StartupConfig is invalid
	PhaseDirectory Phase = "directory" // the migration directory failed to load (checksums, names)
	PhaseHistory   Phase = "history"   // the applied history does not match the directory, or a dirty revision
	PhasePending   Phase = "pending"   // applying is off and versions are pending
	PhaseMigrate   Phase = "migrate"   // applying a version failed, or the lock wait ran out
	PhaseDrift     Phase = "drift"     // FailOnDrift: the live schema differs from what the applied versions produce
	PhaseChecks    Phase = "checks"    // an integrity check failed or found a fatal problem
	PhaseClassify  Phase = "classify"  // classification failed or the classification gate found a column
)

// Sentinel errors of Startup; match them with errors.Is on the returned error.
var (
	// ErrConfig: the StartupConfig is invalid.
	ErrConfig = errors.New("lsosgov: invalid startup config")
	// ErrPending: applying is off (StartupConfig.Apply false) and the database is behind.
	ErrPending = errors.New("lsosgov: the database schema is behind the migration directory; apply the pending versions (govctl migrate up) or start with Apply on")
	// ErrFindings: a check or the classification gate found a problem at or above the
	// fatal severity.
	ErrFindings = errors.New("lsosgov: startup checks found fatal problems")
	// ErrDrift: with FailOnDrift, the live schema differs from what the applied versions
	// produce, most often a hand-made hotfix.
	ErrDrift = errors.New("lsosgov: the live schema differs from what the applied migrations produce (a hand-made change?); write each difference as a migration (govctl migrate plan) or undo it by hand, then restart; govctl migrate drift lists them")
)

// StartupError is the error Startup returns. Phase says which step failed; Pending lists
// the pending versions (PhasePending); Findings the fatal findings (PhaseChecks,
// PhaseClassify); Drift the differences (PhaseDrift, with Err [ErrDrift]). Err is the
// cause; errors.Is/As see through it to the migrate, integrity and classify errors (e.g.
// *migrate.HistoryError, migrate.ErrLockTimeout).
type StartupError struct {
	Phase    Phase
	Pending  []string
	Findings governance.Findings
	Drift    []migrate.Difference
	Err      error
}

// maxDriftListed caps the differences an error message spells out; the report and
// StartupError.Drift hold all of them.
const maxDriftListed = 20

func (e *StartupError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lsosgov: startup failed in phase %s: %v", e.Phase, e.Err)
	if len(e.Pending) > 0 {
		fmt.Fprintf(&b, "; pending: %s", strings.Join(e.Pending, ", "))
	}
	for _, f := range e.Findings {
		fmt.Fprintf(&b, "\n  %s", f.String())
	}
	for i, d := range e.Drift {
		if i == maxDriftListed {
			fmt.Fprintf(&b, "\n  … and %d more (StartupError.Drift holds them all)", len(e.Drift)-i)
			break
		}
		fmt.Fprintf(&b, "\n  %s", d.String())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *StartupError) Unwrap() error { return e.Err }

// ClassGate is the classification gate of Startup. Each flag makes one kind of column
// fatal; with both off (the zero value) classification does not run.
type ClassGate struct {
	// Unclassified fails startup when a column has no settled class (it would fall to
	// the policy default): policy §5 says every column is classified.
	Unclassified bool
	// SensitiveUnannotated fails startup when a column is sensitive only by a name rule
	// or sampling, with neither a policy class nor an lsos:class annotation: the class
	// should be written down where reviewers see it (classify.Annotate does so).
	SensitiveUnannotated bool
	// Sample turns on value sampling (up to classify.Options.SampleSize rows per table).
	// Off by default: at startup the gate reads only the catalog.
	Sample bool
}

func (g ClassGate) enabled() bool { return g.Unclassified || g.SensitiveUnannotated }

// StartupConfig configures [Startup]. Exactly one of FS and Dir is required; every other
// field has a default.
type StartupConfig struct {
	// FS is the migration directory as a file system: an embed.FS (use fs.Sub for a
	// sub-folder) or os.DirFS. It is loaded, parsed and checked against its atlas.sum on
	// every call: about 90 ms for 200 versions on a 2-core machine (BENCHMARKS), which a
	// service pays once per start. Callers that start often load it once and pass Dir.
	FS fs.FS
	// Dir is an already loaded directory (migrate.Load / migrate.LoadFS), for callers that
	// load it once.
	Dir *migrate.Dir
	// Alembic is the Alembic project that manages the database (alembic.Open or
	// alembic.OpenFS), instead of FS or Dir: for a Go service sharing a database whose
	// schema history is kept as Alembic revisions. Startup never applies them: it
	// checks the revision files against lsos-alembic.sum (when the project has one) and
	// refuses to start unless alembic_version is exactly at the project's head(s)
	// (ErrPending with the pending revisions, or PhaseHistory for a revision the project
	// does not know). Apply and FailOnDrift are refused with it; checks and the
	// classification gate run as usual.
	Alembic *alembic.Project

	// Policy decides lock and statement timeouts, maintenance windows, check severities
	// and classes; default governance.Default(). Startup works on a copy in which Schema
	// also belongs to the SDK ([governance.Policy.WithSDKSchema]), so the checks and the
	// classification gate never report on the revisions tables, whatever their schema.
	Policy *governance.Policy
	// Logger receives one line per phase; nil discards.
	Logger *slog.Logger
	// Now is the clock: maintenance windows and the missing-partition check; default
	// time.Now.
	Now func() time.Time

	// Apply applies pending versions under the migration advisory lock. When false,
	// Startup fails fast with ErrPending listing the pending versions.
	Apply bool
	// Schema holds the revisions table (default migrate.DefaultSchema, lsos_migrate,
	// whatever the policy's sdk.prefix: the history of a running service never moves by
	// itself). It is one of the SDK's own schemas: a name outside the policy's SDK
	// prefix (say "ops_migrate") is added to the policy's sdk.schemas for this call. A
	// new database under another prefix names it with the policy:
	// Policy.SDKSchema("migrate"). The schemas of packages retention, archive and
	// integrity follow the policy's sdk.prefix (retention.For, archive.For,
	// integrity.For), and Startup's checks and classification gate leave them out.
	Schema string
	// LockWait bounds the wait for another instance's migration lock (default
	// migrate.DefaultLockWait).
	LockWait time.Duration
	// ApplyTimeout bounds reading the history and applying (default 10 minutes).
	ApplyTimeout time.Duration

	// Checks are the schema-only integrity checks to run after migrating (nil: none;
	// integrity.SchemaChecks() for all of them). They cost one catalog read
	// (integrity.ReadCatalog, a single query over pg_catalog); data checks
	// (integrity.DataChecks()) scan tables and are rejected here: run them on a schedule.
	Checks []integrity.Check
	// ChecksOnlyAfterApply runs Checks only when this call applied a version, so a
	// restart with nothing pending costs only the history read.
	ChecksOnlyAfterApply bool
	// FatalSeverity is the lowest severity of a check finding that fails startup
	// (default governance.SeverityError). Lower findings are reported, not fatal.
	FatalSeverity governance.Severity
	// Classification is the classification gate (zero: off).
	Classification ClassGate
	// CheckTimeout bounds the checks and the classification together (default 30s).
	CheckTimeout time.Duration

	// FailOnDrift makes Startup, after migrating, compare the live schema with the state
	// its applied versions produce (migrate.Drift: tables, columns, indexes, constraints,
	// partitions, views, functions, triggers, RLS and policies, sequences, types,
	// comments) and fail with ErrDrift listing every difference, so a hand-made hotfix
	// is found before the service serves. It is not cheap: every call replays all applied
	// versions on a throwaway database and inspects both schemas (about a second for the
	// sample directory, more for a long one), so it is off by default; with it off
	// Startup reads no schema on the nothing-pending path.
	FailOnDrift bool
	// DriftDevURL is a PostgreSQL connection URL on which Startup creates a throwaway
	// database (CREATE DATABASE … TEMPLATE template0, so the role needs CREATEDB) to
	// replay the applied versions, and drops it afterwards. Required with FailOnDrift.
	// Prefer a scratch server; the live database itself is only read.
	DriftDevURL string
	// DriftSchemas are the schemas compared (default public).
	DriftSchemas []string
	// DriftPartitions also compares partition children and what hangs on them. Off by
	// default: partition maintenance and archiving create and detach monthly partitions
	// at run time, so they are not migration state (partitioned parents are always
	// compared, and their indexes and constraints reach every child).
	DriftPartitions bool
	// DriftTimeout bounds the drift check, replay included (default 2 minutes).
	DriftTimeout time.Duration
}

func (c StartupConfig) withDefaults() (StartupConfig, error) {
	var errs []error
	switch {
	case c.Alembic != nil && (c.FS != nil || c.Dir != nil):
		errs = append(errs, errors.New("set Alembic or FS/Dir, not both: a database has one migration history"))
	case c.Alembic != nil && c.Apply:
		errs = append(errs, errors.New("Apply with Alembic: Startup never applies Alembic revisions (run alembic upgrade head in the deployment); leave Apply off"))
	case c.Alembic != nil && c.FailOnDrift:
		errs = append(errs, errors.New("FailOnDrift with Alembic is not supported: compare with govctl migrate drift on an imported directory"))
	case c.Alembic != nil:
	case c.FS == nil && c.Dir == nil:
		errs = append(errs, errors.New("set FS (an embed.FS of the migration directory), Dir or Alembic"))
	case c.FS != nil && c.Dir != nil:
		errs = append(errs, errors.New("set FS or Dir, not both"))
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
	if c.Schema == "" {
		c.Schema = migrate.DefaultSchema
	}
	// The revisions schema is the SDK's: nothing is reported about its tables; nor about
	// Alembic's version table in Alembic mode.
	c.Policy = c.Policy.WithSDKSchema(c.Schema)
	if c.Alembic != nil {
		schema, table := c.Alembic.VersionTable()
		c.Policy = c.Policy.WithSDKTable(schema, table)
	}
	if c.LockWait == 0 {
		c.LockWait = migrate.DefaultLockWait
	}
	if c.ApplyTimeout == 0 {
		c.ApplyTimeout = DefaultApplyTimeout
	}
	if c.CheckTimeout == 0 {
		c.CheckTimeout = DefaultCheckTimeout
	}
	if c.DriftTimeout == 0 {
		c.DriftTimeout = DefaultDriftTimeout
	}
	switch {
	case c.FailOnDrift && c.DriftDevURL == "":
		errs = append(errs, errors.New("FailOnDrift needs DriftDevURL: a PostgreSQL URL where a throwaway database can be created to replay the applied versions"))
	case c.DriftDevURL != "":
		if _, err := pgx.ParseConfig(c.DriftDevURL); err != nil {
			errs = append(errs, fmt.Errorf("DriftDevURL does not parse: %w", err))
		}
	}
	for name, d := range map[string]time.Duration{"LockWait": c.LockWait, "ApplyTimeout": c.ApplyTimeout, "CheckTimeout": c.CheckTimeout, "DriftTimeout": c.DriftTimeout} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %s", name, d))
		}
	}
	if c.FatalSeverity == 0 {
		c.FatalSeverity = governance.SeverityError
	}
	if c.FatalSeverity < governance.SeverityInfo || c.FatalSeverity > governance.SeverityError {
		errs = append(errs, fmt.Errorf("FatalSeverity %d is not info, warning or error", int(c.FatalSeverity)))
	}
	for i, ch := range c.Checks {
		if ch == nil {
			errs = append(errs, fmt.Errorf("Checks[%d] is nil", i))
			continue
		}
		if slices.ContainsFunc(integrity.DataChecks(), func(d integrity.Check) bool { return d.Name() == ch.Name() }) {
			errs = append(errs, fmt.Errorf("Checks[%d] %s scans table data; Startup runs schema-only checks (integrity.SchemaChecks()): run data checks on a schedule with integrity.Run", i, ch.Name()))
		}
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	return c, nil
}

// StartupReport says what Startup did.
type StartupReport struct {
	// Versions is the number of versions in the directory.
	Versions int `json:"versions"`
	// Applied lists the versions this call applied (none when another instance did, or
	// nothing was pending).
	Applied []migrate.Result `json:"applied"`
	// Pending lists versions left pending (only with Apply off).
	Pending []string `json:"pending,omitempty"`
	// Checks says how each integrity check went (empty when none ran).
	Checks []integrity.CheckRun `json:"checks,omitempty"`
	// Findings are every finding of the checks and the classification gate, fatal or not.
	Findings governance.Findings `json:"findings"`
	// Fatal are the findings that failed startup.
	Fatal governance.Findings `json:"fatal,omitempty"`
	// Columns is the number of columns classified (0 when the gate is off).
	Columns int `json:"columns,omitempty"`
	// DriftChecked says the drift check ran (FailOnDrift); Drift lists the differences
	// it found between the live schema and what the applied versions produce.
	DriftChecked bool                 `json:"drift_checked,omitempty"`
	Drift        []migrate.Difference `json:"drift,omitempty"`
	// Phases holds the time each phase took.
	Phases map[Phase]time.Duration `json:"phases"`
	// Duration is the whole call.
	Duration time.Duration `json:"duration"`
}

// Startup is what a service calls before serving: it loads the migration directory
// (checksums in atlas.sum), checks the applied history against it (no dirty revision, no
// applied file changed or missing), then applies pending versions under the migration
// advisory lock (cfg.Apply) or fails with ErrPending listing them; then runs the
// selected schema-only integrity checks and the classification gate. With FailOnDrift it
// first compares the live schema with what the applied versions produce and fails with
// ErrDrift on any difference.
//
// When nothing is pending and no checks are selected, the database cost is one query
// (the revisions table); selected checks add one catalog read, the classification gate
// one catalog read (plus sampling when ClassGate.Sample is on), FailOnDrift a replay of
// every applied version on a throwaway database and two schema inspections. Many replicas may call
// Startup at once: each version is applied exactly once, by whichever holds the lock.
//
// On failure the report holds what was done so far and the error is a *StartupError.
func Startup(ctx context.Context, db DB, cfg StartupConfig) (*StartupReport, error) {
	start := time.Now()
	rep := &StartupReport{Phases: map[Phase]time.Duration{}}
	defer func() { rep.Duration = time.Since(start) }()
	cfg, err := cfg.withDefaults()
	if err != nil {
		return rep, &StartupError{Phase: PhaseConfig, Err: err}
	}
	log := cfg.Logger

	if cfg.Alembic != nil {
		if err := startupAlembic(ctx, db, cfg, rep); err != nil {
			return rep, err
		}
		return rep, startupGates(ctx, db, cfg, rep)
	}

	// Phase: directory.
	t := time.Now()
	dir := cfg.Dir
	if dir == nil {
		if dir, err = migrate.LoadFS(cfg.FS); err != nil {
			return rep, &StartupError{Phase: PhaseDirectory, Err: err}
		}
	}
	rep.Versions = len(dir.Versions)
	rep.Phases[PhaseDirectory] = time.Since(t)

	m, err := migrate.NewMigrator(db, dir, migrate.Config{
		Schema: cfg.Schema, Policy: cfg.Policy, Logger: cfg.Logger, Now: cfg.Now, LockWait: cfg.LockWait,
	})
	if err != nil {
		return rep, &StartupError{Phase: PhaseConfig, Err: err}
	}

	// Phase: history, then migrate or pending.
	t = time.Now()
	actx, cancel := context.WithTimeout(ctx, cfg.ApplyTimeout)
	defer cancel()
	if cfg.Apply {
		res, err := m.Up(actx)
		rep.Applied = res
		rep.Phases[PhaseMigrate] = time.Since(t)
		if err != nil {
			var pe *migrate.PartialError
			if errors.As(err, &pe) {
				rep.Applied = pe.Applied
			}
			return rep, &StartupError{Phase: migratePhase(err), Err: err}
		}
		if len(res) > 0 {
			log.Info("lsosgov: applied migrations", "versions", len(res), "last", res[len(res)-1].Version)
		}
	} else {
		pending, err := m.Pending(actx)
		rep.Phases[PhaseHistory] = time.Since(t)
		if err != nil {
			return rep, &StartupError{Phase: PhaseHistory, Err: err}
		}
		for _, v := range pending {
			rep.Pending = append(rep.Pending, v.Version)
		}
		if len(pending) > 0 {
			log.Error("lsosgov: schema is behind and applying is off", "pending", rep.Pending)
			return rep, &StartupError{Phase: PhasePending, Pending: rep.Pending, Err: ErrPending}
		}
	}
	cancel()

	// Phase: drift, only when asked: it replays every applied version.
	if cfg.FailOnDrift {
		t = time.Now()
		dctx, cancel := context.WithTimeout(ctx, cfg.DriftTimeout)
		diffs, err := startupDrift(dctx, db, dir, cfg)
		cancel()
		rep.Phases[PhaseDrift] = time.Since(t)
		if err != nil {
			return rep, &StartupError{Phase: PhaseDrift, Err: err}
		}
		rep.DriftChecked, rep.Drift = true, diffs
		if len(diffs) > 0 {
			log.Error("lsosgov: the live schema drifted from the migrations", "differences", len(diffs), "first", diffs[0].String())
			return rep, &StartupError{Phase: PhaseDrift, Drift: diffs, Err: ErrDrift}
		}
	}

	return rep, startupGates(ctx, db, cfg, rep)
}

// startupGates runs the selected schema-only integrity checks and the classification
// gate, under one budget.
func startupGates(ctx context.Context, db DB, cfg StartupConfig, rep *StartupReport) error {
	log := cfg.Logger
	var t time.Time
	// Phase: checks and classification, under one budget.
	cctx, cancel := context.WithTimeout(ctx, cfg.CheckTimeout)
	defer cancel()
	if len(cfg.Checks) > 0 && (!cfg.ChecksOnlyAfterApply || len(rep.Applied) > 0) {
		t = time.Now()
		ir, err := integrity.Run(cctx, db, cfg.Policy, integrity.Options{Checks: cfg.Checks, Now: cfg.Now, Logger: cfg.Logger})
		rep.Phases[PhaseChecks] = time.Since(t)
		if ir != nil {
			rep.Checks = ir.Checks
			rep.Findings = append(rep.Findings, ir.Findings...)
		}
		if err != nil {
			return &StartupError{Phase: PhaseChecks, Err: err}
		}
		if fatal := atLeast(ir.Findings, cfg.FatalSeverity); len(fatal) > 0 {
			rep.Fatal = append(rep.Fatal, fatal...)
			log.Error("lsosgov: integrity checks found fatal problems", "findings", len(fatal))
			return &StartupError{Phase: PhaseChecks, Findings: fatal, Err: ErrFindings}
		}
	}
	if cfg.Classification.enabled() {
		t = time.Now()
		cat, err := classify.Classify(cctx, db, cfg.Policy, classify.Options{NoSampling: !cfg.Classification.Sample, Logger: cfg.Logger})
		rep.Phases[PhaseClassify] = time.Since(t)
		if err != nil {
			return &StartupError{Phase: PhaseClassify, Err: err}
		}
		rep.Columns = len(cat.Columns)
		fatal := gateFindings(cfg.Policy, cat, cfg.Classification)
		rep.Findings = append(rep.Findings, fatal...)
		if len(fatal) > 0 {
			rep.Fatal = append(rep.Fatal, fatal...)
			log.Error("lsosgov: classification gate failed", "columns", len(fatal))
			return &StartupError{Phase: PhaseClassify, Findings: fatal, Err: ErrFindings}
		}
	}
	rep.Findings.Sort()
	log.Info("lsosgov: startup ok", "versions", rep.Versions, "applied", len(rep.Applied), "findings", len(rep.Findings))
	return nil
}

// startupAlembic is the Alembic mode: the revision files against their checksum file
// (directory phase), then alembic_version against the project's heads (history and
// pending phases). Nothing is applied.
func startupAlembic(ctx context.Context, db DB, cfg StartupConfig, rep *StartupReport) error {
	t := time.Now()
	p := cfg.Alembic
	if err := p.VerifySum(); err != nil {
		return &StartupError{Phase: PhaseDirectory, Err: err}
	}
	if err := p.Graph().Err(); err != nil {
		return &StartupError{Phase: PhaseDirectory, Err: err}
	}
	rep.Versions = len(p.Revisions)
	rep.Phases[PhaseDirectory] = time.Since(t)
	t = time.Now()
	actx, cancel := context.WithTimeout(ctx, cfg.ApplyTimeout)
	defer cancel()
	err := alembic.RequireHead(actx, db, p)
	rep.Phases[PhaseHistory] = time.Since(t)
	var nh *alembic.NotAtHeadError
	switch {
	case errors.As(err, &nh) && len(nh.Unknown) > 0:
		cfg.Logger.Error("lsosgov: the database has Alembic revisions the project does not know", "unknown", nh.Unknown)
		return &StartupError{Phase: PhaseHistory, Err: err}
	case errors.As(err, &nh):
		for _, r := range nh.Pending {
			rep.Pending = append(rep.Pending, r.ID)
		}
		cfg.Logger.Error("lsosgov: the database is behind the Alembic head", "pending", rep.Pending)
		return &StartupError{Phase: PhasePending, Pending: rep.Pending, Err: fmt.Errorf("%w: %w", ErrPending, err)}
	case err != nil:
		return &StartupError{Phase: PhaseHistory, Err: err}
	}
	return nil
}

// startupDrift runs migrate.Drift with a throwaway database created on cfg.DriftDevURL,
// dropped again whatever happens.
func startupDrift(ctx context.Context, db DB, dir *migrate.Dir, cfg StartupConfig) (_ []migrate.Difference, err error) {
	if c, ok := db.(*pgxpool.Conn); ok {
		db = c.Conn() // the drift snapshot opens database/sql handles from a pool or a conn
	}
	pcfg, err := pgx.ParseConfig(cfg.DriftDevURL)
	if err != nil {
		return nil, fmt.Errorf("lsosgov: DriftDevURL: %w", err)
	}
	admin, err := pgx.ConnectConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("lsosgov: drift: connect to DriftDevURL: %w", err)
	}
	// Cleanup must run even when ctx has expired.
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	defer admin.Close(cleanup)
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	name := "lsosgov_drift_" + hex.EncodeToString(rnd[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+sqlident.Quote(name)+" TEMPLATE template0"); err != nil {
		return nil, fmt.Errorf("lsosgov: drift: create a throwaway database on DriftDevURL (the role needs CREATEDB): %w", err)
	}
	defer func() {
		if _, derr := admin.Exec(cleanup, "DROP DATABASE IF EXISTS "+sqlident.Quote(name)+" WITH (FORCE)"); derr != nil && err == nil {
			err = fmt.Errorf("lsosgov: drift: drop the throwaway database %s: %w", name, derr)
		}
	}()
	dcfg := pcfg.Copy()
	dcfg.Database = name
	dev, err := pgx.ConnectConfig(ctx, dcfg)
	if err != nil {
		return nil, fmt.Errorf("lsosgov: drift: connect to the throwaway database: %w", err)
	}
	defer dev.Close(cleanup)
	diffs, err := migrate.Drift(ctx, db, dir, migrate.DriftOptions{Dev: dev, Config: migrate.Config{Schema: cfg.Schema},
		Schemas: cfg.DriftSchemas, IgnorePartitions: !cfg.DriftPartitions})
	if err != nil {
		return nil, fmt.Errorf("lsosgov: drift: %w", err)
	}
	return diffs, nil
}

// migratePhase tells a history problem (nothing was run) from a failed apply.
func migratePhase(err error) Phase {
	var he *migrate.HistoryError
	var de *migrate.DirtyError
	var pe *migrate.PartialError
	switch {
	case errors.As(err, &pe):
		return PhaseMigrate
	case errors.As(err, &he), errors.As(err, &de), errors.Is(err, migrate.ErrHistory), errors.Is(err, migrate.ErrDirty):
		return PhaseHistory
	}
	return PhaseMigrate
}

func atLeast(fs governance.Findings, min governance.Severity) governance.Findings {
	var out governance.Findings
	for _, f := range fs {
		if f.Severity >= min {
			out = append(out, f)
		}
	}
	out.Sort()
	return out
}

// gateFindings returns the columns the gate refuses, as findings. Every gate finding is
// fatal: the gate flags are the configuration of what is fatal. Columns of the SDK's own
// schemas (p.IsSDKObject) are left out, as the integrity checks leave them out.
func gateFindings(p *governance.Policy, cat *classify.Catalog, g ClassGate) governance.Findings {
	var out governance.Findings
	if g.Unclassified {
		for _, f := range cat.Findings(p) {
			if p.IsSDKObject(f.Object) {
				continue
			}
			f.Severity = governance.SeverityError
			out = append(out, f)
		}
	}
	if g.SensitiveUnannotated {
		for _, c := range cat.Columns {
			if c.Class != governance.Sensitive || c.Source == classify.SourcePolicy || c.Source == classify.SourceAnnotation || p.IsSDKObject(c.Object()) {
				continue
			}
			out = append(out, governance.Finding{
				Check:    governance.CheckUnclassifiedColumn,
				Code:     "LS501",
				Severity: governance.SeverityError,
				Object:   c.Object(),
				Message: fmt.Sprintf("sensitive by %s (%s) but not declared: add it to the policy's classes.columns or COMMENT ON COLUMN with %q (classify.Annotate writes it)",
					c.Source, c.Reason, classify.TagPrefix+string(governance.Sensitive)),
			})
		}
	}
	out.Sort()
	return out
}
