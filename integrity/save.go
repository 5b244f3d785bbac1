package integrity

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/dbx"
)

// RunsTable is where [SaveRun] keeps reports: its own schema, so the checks (which skip
// lsos_… schemas) never report on it.
const RunsTable = `lsos_integrity.lsos_integrity_runs`

const runsDDL = `CREATE SCHEMA IF NOT EXISTS lsos_integrity;
CREATE TABLE IF NOT EXISTS lsos_integrity.lsos_integrity_runs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL,
    policy_version  text        NOT NULL,
    errors          integer     NOT NULL,
    warnings        integer     NOT NULL,
    infos           integer     NOT NULL,
    incomplete      boolean     NOT NULL,
    report          jsonb       NOT NULL
);
CREATE INDEX IF NOT EXISTS lsos_integrity_runs_started_at_idx ON lsos_integrity.lsos_integrity_runs (started_at);`

// SaveRun persists the report to lsos_integrity.lsos_integrity_runs (created on first
// use) and returns the row id, so scheduled runs build a history that shows trends.
// Findings carry no data values, so the stored report holds none either.
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
	save := func(q DB) (int64, error) {
		if _, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('lsos_integrity_runs'))`); err != nil {
			return 0, err
		}
		if _, err := q.Exec(ctx, runsDDL); err != nil {
			return 0, err
		}
		var id int64
		err := q.QueryRow(ctx, `INSERT INTO lsos_integrity.lsos_integrity_runs
			(started_at, finished_at, policy_version, errors, warnings, infos, incomplete, report)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			rep.StartedAt, rep.FinishedAt, rep.PolicyVersion, e, w, i, rep.Incomplete, body).Scan(&id)
		return id, err
	}
	var id int64
	if ts, ok := db.(dbx.TxStarter); ok {
		// The advisory lock serialises the CREATE … IF NOT EXISTS of concurrent first runs.
		err = pgx.BeginFunc(ctx, ts, func(tx pgx.Tx) error {
			var err error
			id, err = save(tx)
			return err
		})
	} else {
		id, err = save(db)
	}
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
	if err := db.QueryRow(ctx, `SELECT to_regclass('lsos_integrity.lsos_integrity_runs') IS NOT NULL`).Scan(&exists); err != nil || !exists {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT id, started_at, finished_at, policy_version, errors, warnings, infos, incomplete, report
		FROM lsos_integrity.lsos_integrity_runs ORDER BY started_at DESC, id DESC LIMIT $1`, limit)
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
