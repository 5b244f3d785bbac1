package archive

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// The write guard: from before its export until its drop, a partition carries two
// triggers that note any write to it in the catalog's writes table (in the writer's
// own transaction, so a write rolled back leaves no note). The verify step and the drop
// step read the note instead of counting the partition's rows: no scan of the data, and
// an UPDATE that keeps the row count is caught too. The drop step reads it under the
// ACCESS EXCLUSIVE lock of the DROP itself, so no write can slip in between.
//
// A partition whose guard is missing or was disabled (a catalog installed before the
// guard existed, a role that may not execute the guard function, someone who dropped
// the triggers) is counted as before: the guard only ever replaces a check, it never
// removes one.

// guardTriggers returns the names of the two guard triggers: the row trigger (INSERT,
// UPDATE, DELETE) and the statement trigger (TRUNCATE). They carry the catalog schema's
// name, so each sdk.prefix guards with its own.
func (b Bookkeeping) guardTriggers() (row, truncate string) {
	return b.Schema() + "_guard", b.Schema() + "_guard_truncate"
}

// guardFunction is the quoted name of the trigger function the migration installs.
func (b Bookkeeping) guardFunction() string {
	return sqlident.Name{Schema: b.Schema(), Name: "note_write"}.Quoted()
}

// errNotGuardable: the partition is not a plain table (see guard).
var errNotGuardable = errors.New("archive: not a plain table")

// guard puts the write guard on a partition and clears its earlier notes, in one
// transaction, before the export query takes its snapshot: any write committed after
// it is noted (one committed in between is noted too, and only costs a re-export).
// Creating a trigger takes a SHARE ROW EXCLUSIVE lock, which waits for the writers in
// flight and blocks new ones for the moment of the DDL; readers are not blocked. A
// guard that cannot be put on (no EXECUTE on the function, a relation kind that takes
// no triggers) is logged and the checks fall back to counting rows.
func (r *runner) guard(ctx context.Context, db DB, name governance.QualifiedName) error {
	row, truncate := r.bk.guardTriggers()
	err := inTransaction(ctx, db, func(tx pgx.Tx) error {
		var oid uint32
		var kind string
		var hasRow, hasTruncate bool
		err := tx.QueryRow(ctx, `SELECT c.oid, c.relkind::text,
			       EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = $2),
			       EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = $3)
			FROM pg_class c WHERE c.oid = to_regclass($1)`, name.Quoted(), row, truncate).Scan(&oid, &kind, &hasRow, &hasTruncate)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%s does not exist (dropped by hand or by pg_partman retention?); nothing was exported", name)
		}
		if err != nil {
			return err
		}
		if kind != "r" {
			// A partition that is itself partitioned would note its writes under the
			// leaf written to (TG_RELID), and a foreign table's writes happen elsewhere:
			// only a plain table is guarded; the others are counted.
			return errNotGuardable
		}
		if _, err := tx.Exec(ctx, `DELETE FROM `+r.bk.table("writes")+` WHERE rel = $1`, oid); err != nil {
			return err
		}
		// ENABLE ALWAYS: the guard fires under session_replication_role = replica too
		// (logical replication's apply, pg_restore --disable-triggers' sessions).
		stmts := []string{}
		if !hasRow {
			stmts = append(stmts, `CREATE TRIGGER `+sqlident.Quote(row)+` AFTER INSERT OR UPDATE OR DELETE ON `+name.Quoted()+
				` FOR EACH ROW EXECUTE FUNCTION `+r.bk.guardFunction()+`()`)
		}
		if !hasTruncate {
			stmts = append(stmts, `CREATE TRIGGER `+sqlident.Quote(truncate)+` AFTER TRUNCATE ON `+name.Quoted()+
				` FOR EACH STATEMENT EXECUTE FUNCTION `+r.bk.guardFunction()+`()`)
		}
		stmts = append(stmts,
			`ALTER TABLE `+name.Quoted()+` ENABLE ALWAYS TRIGGER `+sqlident.Quote(row),
			`ALTER TABLE `+name.Quoted()+` ENABLE ALWAYS TRIGGER `+sqlident.Quote(truncate))
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errNotGuardable) {
		r.opts.Logger.InfoContext(ctx, "archive: the partition is not a plain table; its rows are counted before the detach and the drop instead of guarded",
			"partition", name.String())
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42501" || pgErr.Code == "42809") {
		// insufficient_privilege (no EXECUTE on the guard function: another role installed
		// the catalog), wrong_object_type: rows are counted instead.
		r.opts.Logger.WarnContext(ctx, "archive: no write guard on the partition; its rows are counted before the detach and the drop instead",
			"partition", name.String(), "err", pgErr.Message)
		return nil
	}
	if err != nil {
		return fmt.Errorf("archive: put the write guard on %s: %w", name, err)
	}
	return nil
}

// unguard removes the guard triggers and the notes of a partition that stays in the
// database (KeepDetached): the kept copy is no longer being archived. tx holds the
// partition's ACCESS EXCLUSIVE lock; guarded is what unchanged returned.
func (r *runner) unguard(ctx context.Context, tx DB, name governance.QualifiedName, oid uint32, guarded bool) error {
	row, truncate := r.bk.guardTriggers()
	for _, t := range []string{row, truncate} {
		if _, err := tx.Exec(ctx, `DROP TRIGGER IF EXISTS `+sqlident.Quote(t)+` ON `+name.Quoted()); err != nil {
			return err
		}
	}
	return r.forgetWrites(ctx, tx, oid, guarded)
}

// forgetWrites deletes the notes of a relation that leaves the archive's hands. Without
// a guard there is nothing of this run's to forget, and the role may have no privilege
// on the writes table (a catalog installed before the guard, granted table by table).
func (r *runner) forgetWrites(ctx context.Context, db DB, oid uint32, guarded bool) error {
	if !guarded {
		return nil
	}
	_, err := db.Exec(ctx, `DELETE FROM `+r.bk.table("writes")+` WHERE rel = $1`, oid)
	return err
}

// unchanged returns errReexport when the partition was written to since its export:
// a note of the write guard, or, when the partition has no working guard, a row count
// that differs from the export's. what names the relation in the error ("detached …").
// guarded reports whether the guard decided (false: the rows were counted).
func (r *runner) unchanged(ctx context.Context, db DB, name governance.QualifiedName, oid uint32, m *Manifest, what string) (guarded bool, err error) {
	row, truncate := r.bk.guardTriggers()
	var guards int
	// tgenabled 'A' is ENABLE ALWAYS, as guard leaves it: a trigger disabled (or set to
	// fire on origin or replica only) could have missed writes.
	if err := db.QueryRow(ctx, `SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = $1 AND t.tgname IN ($2, $3)
			AND t.tgenabled = 'A' AND t.tgfoid = to_regprocedure($4)`,
		oid, row, truncate, r.bk.guardFunction()+"()").Scan(&guards); err != nil {
		return false, err
	}
	if guards == 2 {
		// The writes table is read only behind a working guard: a role that could not
		// put one on may have no privilege on it.
		var op *string
		if err := db.QueryRow(ctx, `SELECT (SELECT w.op FROM `+r.bk.table("writes")+` w WHERE w.rel = $1)`, oid).Scan(&op); err != nil {
			return false, err
		}
		if op != nil {
			return true, fmt.Errorf("%w: %s%s was written to (%s) after its export", errReexport, what, name, *op)
		}
		return true, nil
	}
	var n int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM `+name.Quoted()).Scan(&n); err != nil {
		return false, err
	}
	if n != m.Rows {
		return false, fmt.Errorf("%w: %s%s has %d rows, the archive %d", errReexport, what, name, n, m.Rows)
	}
	return false, nil
}

// inTransaction runs fn in a transaction on db, the one connection a partition's steps
// run on (its advisory lock is that session's).
func inTransaction(ctx context.Context, db DB, fn func(pgx.Tx) error) error {
	txdb, ok := db.(TxDB)
	if !ok {
		return fmt.Errorf("archive: %T cannot begin a transaction", db)
	}
	return pgx.BeginFunc(ctx, txdb, fn)
}
