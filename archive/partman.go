package archive

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// ErrPartmanRetention: pg_partman's own retention is set on a parent [Run] was asked to
// archive, in a way that would remove partitions that were never archived. Nothing of
// that parent is touched; unset the retention (see [PartmanRetentionError]).
var ErrPartmanRetention = errors.New("archive: pg_partman retention conflicts with archiving")

// PartmanConfig is what pg_partman's part_config says about one parent, as far as
// archiving cares.
type PartmanConfig struct {
	// Schema and Version are the extension's schema and version (4.x or 5.x).
	Schema  string
	Version string
	// Parent is part_config.parent_table ("schema.table").
	Parent string
	// Retention is part_config.retention ("" when unset: archive.Run applies the policy).
	Retention string
	// RetentionKeepTable: pg_partman detaches old partitions and keeps the tables
	// instead of dropping them.
	RetentionKeepTable bool
	// RetentionSchema, when set, is where pg_partman moves the partitions it detaches.
	RetentionSchema string
	// TemplateTable is the table pg_partman copies properties from (never archived).
	TemplateTable string
}

// PartmanRetentionError says which parent has a pg_partman retention that would race
// [Run], and how to fix it.
type PartmanRetentionError struct{ Config PartmanConfig }

func (e *PartmanRetentionError) Error() string {
	c := e.Config
	what := "drops partitions older than it"
	if c.RetentionKeepTable {
		what = "detaches partitions older than it and moves them to schema " + c.RetentionSchema
	}
	return fmt.Sprintf("archive: %s is managed by pg_partman with retention = %q: pg_partman %s without archiving them, racing archive.Run; "+
		"this run touched no partition of %s. Unset it (UPDATE %s.part_config SET retention = NULL WHERE parent_table = %s) and let archive.Run apply the policy's retention, "+
		"or at least set retention_keep_table = true and retention_schema = NULL so that pg_partman never removes a table",
		c.Parent, c.Retention, what, c.Parent, sqlident.Quote(c.Schema), sqlident.QuoteLiteral(c.Parent))
}

func (e *PartmanRetentionError) Unwrap() error { return ErrPartmanRetention }

// check decides how c's retention interacts with archiving. Unset: nothing to say.
// Dropping tables (retention_keep_table = false) or moving them away (retention_schema):
// an error, because a partition removed before its export is gone from the database
// without an archive, and one moved during the lifecycle stops it. Detaching in place
// (retention_keep_table, no retention_schema): allowed with a warning, because no row
// leaves the database; a partition pg_partman detached first is simply not archived.
func (c *PartmanConfig) check() (warning string, err error) {
	switch {
	case c == nil || c.Retention == "":
		return "", nil
	case !c.RetentionKeepTable || c.RetentionSchema != "":
		return "", &PartmanRetentionError{Config: *c}
	}
	return fmt.Sprintf("%s: pg_partman retention = %q with retention_keep_table: partitions it detaches before archive.Run reaches them stay in the database as standalone tables and are not archived; "+
		"unset it (retention = NULL) and let archive.Run apply the policy's retention", c.Parent, c.Retention), nil
}

// Partman returns pg_partman's configuration of parent ("schema.table" or "table" for
// public), or nil when pg_partman is not installed or does not manage parent. It reads
// part_config of pg_partman 4.x and 5.x alike.
func Partman(ctx context.Context, db DB, parent string) (*PartmanConfig, error) {
	n, err := parseName(parent)
	if err != nil {
		return nil, err
	}
	return partmanConfig(ctx, db, n)
}

func partmanConfig(ctx context.Context, db DB, parent governance.QualifiedName) (*PartmanConfig, error) {
	c := &PartmanConfig{Parent: parent.String()}
	err := db.QueryRow(ctx, `SELECT n.nspname, e.extversion FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_partman'`).
		Scan(&c.Schema, &c.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("archive: find pg_partman: %w", err)
	}
	var retention, retentionSchema, template *string
	err = db.QueryRow(ctx, `SELECT retention, retention_keep_table, retention_schema, template_table FROM `+
		sqlident.Quote(c.Schema)+`.part_config WHERE parent_table = $1`, c.Parent).
		Scan(&retention, &c.RetentionKeepTable, &retentionSchema, &template)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("archive: read pg_partman configuration of %s: %w", c.Parent, err)
	}
	c.Retention, c.RetentionSchema, c.TemplateTable = deref(retention), deref(retentionSchema), deref(template)
	return c, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return strings.TrimSpace(*s)
}

// partmanGate checks, once per parent, whether pg_partman manages it and whether its
// retention lets [Run] archive it.
func (r *runner) partmanGate(ctx context.Context, parent governance.QualifiedName) error {
	key := parent.String()
	if err, ok := r.gated[key]; ok {
		return err
	}
	cfg, err := partmanConfig(ctx, r.db, parent)
	if err == nil {
		var warning string
		warning, err = cfg.check()
		if warning != "" {
			r.opts.Logger.WarnContext(ctx, "archive: "+warning)
			r.warnings = append(r.warnings, warning)
		}
		if cfg != nil {
			r.partman[key] = cfg
		}
	}
	r.gated[key] = err
	return err
}

// partmanLockSQL is the key of the advisory lock pg_partman's run_maintenance takes (with
// pg_try_advisory_xact_lock, or the session form in run_maintenance_proc) and skips its
// round when it cannot.
const partmanLockSQL = `hashtext('pg_partman run_maintenance')::bigint`

// partmanLock holds pg_partman's maintenance lock while a detach changes a parent it
// manages: maintenance (creating partitions with CREATE TABLE … PARTITION OF, or applying
// its retention) and our detach then never interleave on the same parent, and a
// maintenance round that starts meanwhile skips and runs again at its next schedule. The
// lock is polled, never awaited, for the reason given at [ddlLock]; a running maintenance
// is waited for, and reported once.
func (r *runner) partmanLock(ctx context.Context, db DB, parent governance.QualifiedName, m *Manifest) (unlock func(), err error) {
	if r.partman[parent.String()] == nil {
		return func() {}, nil
	}
	waited := false
	for {
		var got bool
		if err := db.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+partmanLockSQL+`)`).Scan(&got); err != nil {
			return nil, err
		}
		if got {
			return func() {
				_, _ = db.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+partmanLockSQL+`)`)
			}, nil
		}
		if !waited {
			waited = true
			r.event(ctx, db, Event{Partition: m.Partition, ID: m.ID, Step: StepDetach, Detail: "waiting for pg_partman maintenance to finish"}, false)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
