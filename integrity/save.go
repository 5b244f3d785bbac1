package integrity

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sdkinstall"
)

// RunsTable is where [SaveRun] keeps reports: its own schema, so the checks (which skip
// the SDK's schemas) never report on it.
const RunsTable = `lsos_integrity.lsos_integrity_runs`

// Install creates or upgrades the schema lsos_integrity that holds saved reports, with
// the migrate engine under its advisory lock (versions recorded in
// lsos_integrity.revisions): idempotent and safe from many replicas at once, two light
// queries when nothing is pending. [SaveRun] calls it; call it yourself first when SaveRun will
// be given a transaction, which cannot run the migrator. db must be a *pgxpool.Pool,
// *pgxpool.Conn or *pgx.Conn when something is pending.
func Install(ctx context.Context, db DB) error {
	if err := sdkinstall.Integrity.Install(ctx, db); err != nil {
		return fmt.Errorf("integrity: install: %w", err)
	}
	return nil
}

// SaveRun persists the report to lsos_integrity.lsos_integrity_runs (installed on first
// use, see [Install]) and returns the row id, so scheduled runs build a history that
// shows trends. Findings carry no data values, so the stored report holds none either.
func SaveRun(ctx context.Context, db DB, rep *Report) (int64, error) {
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
	if err := Install(ctx, db); err != nil {
		return 0, err
	}
	var id int64
	err = db.QueryRow(ctx, `INSERT INTO `+RunsTable+`
		(started_at, finished_at, policy_version, errors, warnings, infos, incomplete, report)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		rep.StartedAt, rep.FinishedAt, rep.PolicyVersion, e, w, i, rep.Incomplete, body).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("integrity: save run to %s: %w", RunsTable, err)
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

// Runs returns the newest saved runs, newest first (none when nothing was saved yet).
func Runs(ctx context.Context, db DB, limit int) ([]RunSummary, error) {
	if limit <= 0 {
		limit = 100
	}
	var exists bool
	if err := db.QueryRow(ctx, `SELECT to_regclass('`+RunsTable+`') IS NOT NULL`).Scan(&exists); err != nil || !exists {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT id, started_at, finished_at, policy_version, errors, warnings, infos, incomplete, report
		FROM `+RunsTable+` ORDER BY started_at DESC, id DESC LIMIT $1`, limit)
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
