package migrate

import (
	"context"
	"errors"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// State of a revision row.
const (
	StateApplied = "applied"
	StateDirty   = "dirty"
	StatePending = "pending" // not a row state: a version of the directory with no row
)

// Revision is one row of the revisions table.
type Revision struct {
	Version         string
	Name            string
	Checksum        string
	AppliedAt       time.Time
	Duration        time.Duration
	AppliedBy       string
	ApplicationName string
	Kind            Kind
	State           string
	FailedStatement *int // 0-based index of the failed statement of a dirty no-transaction file
	Error           string
	Note            string
}

// tables names the revisions and log tables of one schema.
type tables struct {
	schema, revisions, log string
	lockKey                int64
}

func newTables(schema string) tables {
	t := tables{
		schema:    sqlident.Quote(schema),
		revisions: sqlident.Name{Schema: schema, Name: "revisions"}.Quoted(),
		log:       sqlident.Name{Schema: schema, Name: "revision_log"}.Quoted(),
	}
	// The advisory lock key is derived from the revisions table name, so two
	// migrators on different schemas never block each other.
	h := fnv.New64a()
	h.Write([]byte("lsosgov.migrate:" + schema + ".revisions"))
	t.lockKey = int64(h.Sum64())
	return t
}

func (t tables) ddl() []string {
	return []string{
		`CREATE SCHEMA IF NOT EXISTS ` + t.schema,
		`CREATE TABLE IF NOT EXISTS ` + t.revisions + ` (
	version          text PRIMARY KEY,
	name             text NOT NULL,
	checksum         text NOT NULL,
	applied_at       timestamptz NOT NULL DEFAULT now(),
	duration         interval NOT NULL DEFAULT '0',
	applied_by       text NOT NULL DEFAULT current_user,
	application_name text NOT NULL DEFAULT current_setting('application_name'),
	kind             text NOT NULL CHECK (kind IN ('transactional', 'no-transaction', 'baseline', 'forced')),
	state            text NOT NULL CHECK (state IN ('applied', 'dirty')),
	failed_statement integer,
	error            text,
	note             text NOT NULL DEFAULT ''
)`,
		`COMMENT ON TABLE ` + t.revisions + ` IS 'lsosgov migrate: one row per applied (or dirty) migration version'`,
		`CREATE TABLE IF NOT EXISTS ` + t.log + ` (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at               timestamptz NOT NULL DEFAULT now(),
	version          text NOT NULL,
	action           text NOT NULL,
	reason           text NOT NULL DEFAULT '',
	actor            text NOT NULL DEFAULT current_user,
	application_name text NOT NULL DEFAULT current_setting('application_name')
)`,
		`COMMENT ON TABLE ` + t.log + ` IS 'lsosgov migrate: audit record of every apply, rollback, baseline, resolve and force'`,
	}
}

const revisionColumns = `version, name, checksum, applied_at, (extract(epoch FROM duration) * 1000000)::bigint, applied_by, application_name, kind, state, failed_statement, coalesce(error, ''), note`

// readRevisions returns the rows in version order; ok is false when the table does not
// exist yet (nothing applied).
func readRevisions(ctx context.Context, db DB, t tables) (revs []Revision, ok bool, err error) {
	rows, err := db.Query(ctx, `SELECT `+revisionColumns+` FROM `+t.revisions+` ORDER BY version`)
	if err != nil {
		if isUndefined(err) {
			return nil, false, nil
		}
		return nil, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var r Revision
		var kind string
		var micros int64
		if err := rows.Scan(&r.Version, &r.Name, &r.Checksum, &r.AppliedAt, &micros, &r.AppliedBy,
			&r.ApplicationName, &kind, &r.State, &r.FailedStatement, &r.Error, &r.Note); err != nil {
			return nil, false, err
		}
		r.Kind = Kind(kind)
		r.Duration = time.Duration(micros) * time.Microsecond
		revs = append(revs, r)
	}
	if err := rows.Err(); err != nil {
		if isUndefined(err) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return revs, true, nil
}

func isUndefined(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "42P01" || pe.Code == "3F000")
}

func logAction(ctx context.Context, db DB, t tables, version, action, reason string) error {
	_, err := db.Exec(ctx, `INSERT INTO `+t.log+` (version, action, reason) VALUES ($1, $2, $3)`, version, action, reason)
	return err
}
