package integrity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// Options configure [Run]. The zero value runs every check on every table.
type Options struct {
	// Checks to run (default [All]); pick by name with [Select].
	Checks []Check
	// Tables restricts the run to these tables: "table" or "schema.table" (quoted
	// forms allowed). A name the database lacks is an error (ErrUnknownTable).
	Tables []string
	// Budget bounds the whole run (0: none). Checks not started when it runs out are
	// listed as skipped, and Run returns ErrBudgetExceeded with the partial report.
	Budget time.Duration
	// StatementTimeout bounds each data query (default 5 minutes, and never past the
	// budget).
	StatementTimeout time.Duration
	// Parallelism bounds the tables data checks scan at once (default 4). Only a
	// *pgxpool.Pool runs queries in parallel.
	Parallelism int
	// Samples is how many sample keys an orphan finding lists (default 5; -1 none).
	Samples int
	// BatchRows and Resume: see [Env].
	BatchRows int64
	Resume    map[string]int64
	// Now is the clock (default time.Now): it decides missing-partition and stamps the
	// report.
	Now func() time.Time
	// Progress, when set, receives progress events (possibly from several goroutines).
	Progress func(Event)
	// Logger receives debug logs (nil: discard).
	Logger *slog.Logger
}

func (o Options) validate() error {
	switch {
	case o.Budget < 0:
		return fmt.Errorf("%w: Budget %s is negative; use 0 for no budget", ErrInvalidOptions, o.Budget)
	case o.StatementTimeout < 0:
		return fmt.Errorf("%w: StatementTimeout %s is negative; use 0 for the default", ErrInvalidOptions, o.StatementTimeout)
	case o.Parallelism < 0:
		return fmt.Errorf("%w: Parallelism %d is negative; use 0 for the default", ErrInvalidOptions, o.Parallelism)
	case o.BatchRows < 0:
		return fmt.Errorf("%w: BatchRows %d is negative; use 0 for one statement per relationship", ErrInvalidOptions, o.BatchRows)
	}
	for _, c := range o.Checks {
		if c == nil {
			return fmt.Errorf("%w: Checks holds a nil check", ErrInvalidOptions)
		}
	}
	return nil
}

// Report is the outcome of a run.
type Report struct {
	StartedAt     time.Time           `json:"started_at"`
	FinishedAt    time.Time           `json:"finished_at"`
	PolicyVersion string              `json:"policy_version"`
	Checks        []CheckRun          `json:"checks"`
	Findings      governance.Findings `json:"findings"`
	// Incomplete is true when a check failed or was skipped: the findings are a lower
	// bound.
	Incomplete bool `json:"incomplete"`
}

// CheckRun is how one check of a run went.
type CheckRun struct {
	Name     string `json:"name"`
	Code     string `json:"code"`
	Status   string `json:"status"` // ok, failed or skipped
	Findings int    `json:"findings"`
	Millis   int64  `json:"ms"`
	Error    string `json:"error,omitempty"`
}

// Run runs the checks and returns the report. Schema checks share one catalog snapshot
// (one query); data checks then scan tables in read-only transactions, in parallel up
// to Options.Parallelism. A check that cannot finish (a timeout, a missing privilege)
// is marked failed and its error joined into the returned error, while the report
// still carries every finding made; so callers should look at both.
func Run(ctx context.Context, db DB, p *governance.Policy, o Options) (*Report, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("%w: nil policy; pass governance.Default() or a loaded policy", ErrInvalidOptions)
	}
	env := (&Env{Now: o.Now, Parallelism: o.Parallelism, StatementTimeout: o.StatementTimeout, Samples: o.Samples,
		BatchRows: o.BatchRows, Resume: o.Resume, Logger: o.Logger, Progress: o.Progress}).withDefaults()
	checks := o.Checks
	if len(checks) == 0 {
		checks = All()
	}
	rep := &Report{StartedAt: env.Now(), PolicyVersion: p.Version}
	if o.Budget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Budget)
		defer cancel()
	}
	cat, err := ReadCatalog(ctx, db, p)
	if err != nil {
		if o.Budget > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, errors.Join(err, ErrBudgetExceeded)
		}
		return nil, err
	}
	env.Catalog = cat
	for _, s := range o.Tables {
		n, err := sqlident.Parse(s, "")
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrUnknownTable, s, err)
		}
		if cat.Lookup(n) == nil {
			return nil, fmt.Errorf("%w: %s is not a table in this database; check the name and schema (schema.table)", ErrUnknownTable, n)
		}
		env.Tables = append(env.Tables, n)
	}
	var errs []error
	// Schema checks first: they are cheap and need nothing but the snapshot.
	ordered := make([]Check, 0, len(checks))
	for _, c := range checks {
		if !isDataCheck(c) {
			ordered = append(ordered, c)
		}
	}
	for _, c := range checks {
		if isDataCheck(c) {
			ordered = append(ordered, c)
		}
	}
	for _, c := range ordered {
		cr := CheckRun{Name: c.Name(), Code: c.Code()}
		if ctx.Err() != nil {
			cr.Status = "skipped"
			rep.Checks = append(rep.Checks, cr)
			rep.Incomplete = true
			continue
		}
		ce := *env
		if dl, ok := ctx.Deadline(); ok {
			ce.StatementTimeout = max(min(ce.StatementTimeout, time.Until(dl)), time.Millisecond)
		}
		t0 := time.Now()
		fs, err := c.Run(ctx, db, p, &ce)
		cr.Millis = time.Since(t0).Milliseconds()
		cr.Findings = len(fs)
		cr.Status = "ok"
		rep.Findings = append(rep.Findings, fs...)
		if err != nil {
			cr.Status, cr.Error = "failed", err.Error()
			rep.Incomplete = true
			var che *CheckError
			if !errors.As(err, &che) {
				err = &CheckError{Check: c.Name(), Err: err}
			}
			errs = append(errs, err)
		}
		env.Logger.Debug("integrity check done", "check", c.Name(), "findings", len(fs), "ms", cr.Millis, "status", cr.Status)
		rep.Checks = append(rep.Checks, cr)
	}
	if o.Budget > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		errs = append(errs, ErrBudgetExceeded)
	}
	rep.Findings.Sort()
	rep.FinishedAt = env.Now()
	return rep, errors.Join(errs...)
}
