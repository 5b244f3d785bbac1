package integrity

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sdkinstall"
)

// RunsTable is where [SaveRun] keeps reports with the default sdk.prefix: a schema of
// its own, so the checks (which skip the SDK's schemas) never report on it. Under a
// policy the table is [Bookkeeping.RunsTable]: lsos_integrity_runs in the policy's SDK
// schema "integrity" (ops_integrity.lsos_integrity_runs with sdk.prefix ops_).
const RunsTable = `lsos_integrity.lsos_integrity_runs`

// schemaPart names the package's SDK schema: p.SDKSchema(schemaPart) is lsos_integrity
// with the default sdk.prefix.
const schemaPart = "integrity"

// runsName is the runs table's name inside the schema, the same under every prefix.
const runsName = "lsos_integrity_runs"

// Bookkeeping is where the package keeps saved reports for a policy: the table
// lsos_integrity_runs in the policy's SDK schema "integrity" ([governance.Policy.SDKSchema]:
// lsos_integrity with the default sdk.prefix, ops_integrity with sdk.prefix ops_), which
// the checks leave out like every SDK schema.
//
// [Run] takes the policy already; the functions that take none are Bookkeeping's methods,
// and the package-level functions of the same names ([Install], [SaveRun], [Runs]) are
// those of For(nil), the default policy. The zero Bookkeeping is For(nil) too.
//
//	rep, err := integrity.Run(ctx, pool, policy, integrity.Options{})
//	id, err := integrity.For(policy).SaveRun(ctx, pool, rep) // ops_integrity with sdk.prefix ops_
type Bookkeeping struct {
	policy *governance.Policy
}

// For returns the bookkeeping of policy p (nil: governance.Default()).
func For(p *governance.Policy) Bookkeeping { return Bookkeeping{policy: p} }

// Schema returns the schema of the saved reports: p.SDKSchema("integrity").
func (b Bookkeeping) Schema() string { return b.policy.SDKSchema(schemaPart) }

// RunsTable returns the schema-qualified runs table, as [RunsTable] spells it
// ("ops_integrity.lsos_integrity_runs" with sdk.prefix ops_).
func (b Bookkeeping) RunsTable() string { return b.runs().String() }

func (b Bookkeeping) runs() governance.QualifiedName {
	return governance.QualifiedName{Schema: b.Schema(), Name: runsName}
}

// Install is For(nil).Install: the schema lsos_integrity of the default policy.
func Install(ctx context.Context, db DB) error { return For(nil).Install(ctx, db) }

// Install creates or upgrades the schema that holds saved reports (b.Schema()), with
// the migrate engine under its advisory lock (versions recorded in the schema's
// revisions table): idempotent and safe from many replicas at once, two light queries
// when nothing is pending. [Bookkeeping.SaveRun] calls it; call it yourself first when
// SaveRun will be given a transaction, which cannot run the migrator. db must be a
// *pgxpool.Pool, *pgxpool.Conn or *pgx.Conn when something is pending. Under a
// policy whose sdk.prefix is not the default, the first install refuses while
// lsos_integrity already holds the table (saved under the default prefix).
func (b Bookkeeping) Install(ctx context.Context, db DB) error {
	if err := sdkinstall.Integrity.Install(ctx, db, b.Schema()); err != nil {
		return fmt.Errorf("integrity: install: %w", err)
	}
	return nil
}

// SaveRun is For(nil).SaveRun: [RunsTable] of the default policy.
func SaveRun(ctx context.Context, db DB, rep *Report) (int64, error) {
	return For(nil).SaveRun(ctx, db, rep)
}

// SaveRun persists the report to the runs table of b's policy (installed on first use,
// see [Bookkeeping.Install]) and returns the row id, so scheduled runs build a history
// that shows trends. Findings carry no data values, so the stored report holds none
// either.
func (b Bookkeeping) SaveRun(ctx context.Context, db DB, rep *Report) (int64, error) {
	if rep == nil {
		return 0, fmt.Errorf("%w: SaveRun needs a report", ErrInvalidOptions)
	}
	body, err := json.Marshal(rep)
	if err != nil {
		return 0, fmt.Errorf("integrity: encode report: %w", err)
	}
	var e, w, i int
	for _, f := range rep.Findings {
		switch f.Severity {
		case governance.SeverityError:
			e++
		case governance.SeverityWarning:
			w++
		default:
			i++
		}
	}
	if err := b.Install(ctx, db); err != nil {
		return 0, err
	}
	var id int64
	err = db.QueryRow(ctx, `INSERT INTO `+b.runs().Quoted()+`
		(started_at, finished_at, policy_version, errors, warnings, infos, incomplete, report)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		rep.StartedAt, rep.FinishedAt, rep.PolicyVersion, e, w, i, rep.Incomplete, body).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("integrity: save run to %s: %w", b.RunsTable(), err)
	}
	return id, nil
}

// RunSummary is one saved run, for trends.
type RunSummary struct {
	ID            int64
	StartedAt     time.Time
	FinishedAt    time.Time
	PolicyVersion string
	Errors        int
	Warnings      int
	Infos         int
	Incomplete    bool
	// ByCheck counts findings per check name.
	ByCheck map[string]int
}

// Runs is For(nil).Runs: [RunsTable] of the default policy.
func Runs(ctx context.Context, db DB, limit int) ([]RunSummary, error) {
	return For(nil).Runs(ctx, db, limit)
}

// Runs returns the newest saved runs of b's policy, newest first (none when nothing was
// saved yet).
func (b Bookkeeping) Runs(ctx context.Context, db DB, limit int) ([]RunSummary, error) {
	if limit <= 0 {
		limit = 100
	}
	table := b.runs().Quoted()
	var exists bool
	if err := db.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil || !exists {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT id, started_at, finished_at, policy_version, errors, warnings, infos, incomplete, report
		FROM `+table+` ORDER BY started_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("integrity: read runs: %w", err)
	}
	defer rows.Close()
	var out []RunSummary
	for rows.Next() {
		var s RunSummary
		var body []byte
		if err := rows.Scan(&s.ID, &s.StartedAt, &s.FinishedAt, &s.PolicyVersion, &s.Errors, &s.Warnings, &s.Infos, &s.Incomplete, &body); err != nil {
			return nil, fmt.Errorf("integrity: read runs: %w", err)
		}
		var rep Report
		if err := json.Unmarshal(body, &rep); err != nil {
			return nil, fmt.Errorf("integrity: decode run %d: %w", s.ID, err)
		}
		s.ByCheck = map[string]int{}
		for _, f := range rep.Findings {
			s.ByCheck[f.Check]++
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
