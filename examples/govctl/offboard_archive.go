package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/parquetio"
	"github.com/lsos/lsosgov/retention"
)

// archivePurge is the archive step of "tenant offboard --stage hard-delete": purging a
// tenant also purges its rows from the partition archives exported before the hard
// delete (archive.PurgeTenant), unless the operator says why not.
type archivePurge struct {
	store string // --archive-store: the store archive run wrote to
	skip  string // --skip-archive-purge: the reason, recorded in the audit trail

	bucket *blob.Bucket // the store, opened and checked by preflight
}

func (a *archivePurge) validate(stage string) error {
	set := a.store != "" || a.skip != ""
	switch {
	case set && stage != "hard-delete":
		return usagef("tenant offboard: --archive-store and --skip-archive-purge belong to --stage hard-delete")
	case a.store != "" && a.skip != "":
		return usagef("tenant offboard: give --archive-store or --skip-archive-purge, not both")
	case a.skip != "" && strings.TrimSpace(a.skip) == "":
		return usagef("tenant offboard: --skip-archive-purge needs the reason, e.g. --skip-archive-purge \"preservation order 2026-17\"")
	}
	return nil
}

// preflight refuses, before anything is deleted, a hard delete that would leave the
// tenant's rows in partition archives without a decision, or whose archive purge could
// not run afterwards: --archive-store is opened and must hold every archived object of
// the tenant the catalog names (a wrong URL or bucket is found now, not after the rows
// are gone). The catalog read is the one of p's SDK schema "archive". Close releases
// the store.
func (a *archivePurge) preflight(ctx context.Context, p *governance.Policy, conn *pgx.Conn, tenant string) error {
	if a.skip != "" {
		return nil
	}
	// The catalog of the loaded policy's SDK schema "archive" (lsos_archive by default).
	catalog := governance.QualifiedName{Schema: archive.For(p).Schema(), Name: "archives"}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, catalog.Quoted()).Scan(&exists); err != nil {
		return err
	}
	var objects []string
	if exists {
		rows, err := conn.Query(ctx, `SELECT object FROM `+catalog.Quoted()+` WHERE $1 = ANY(tenants) ORDER BY object`, tenant)
		if err != nil {
			return fmt.Errorf("tenant offboard: list archives of tenant %s: %w", tenant, err)
		}
		if objects, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("tenant offboard: list archives of tenant %s: %w", tenant, err)
		}
	}
	if a.store == "" {
		if len(objects) > 0 {
			return usagef("tenant offboard --stage hard-delete: %d partition archive(s) hold rows of tenant %s, and purging a tenant purges its archived rows too: give --archive-store URL (the store of archive run), or --skip-archive-purge \"REASON\" to keep them with the reason recorded", len(objects), tenant)
		}
		return nil
	}
	b, err := parquetio.OpenBucket(ctx, a.store)
	if err != nil {
		return usagef("tenant offboard: --archive-store: %v (nothing was deleted)", err)
	}
	for _, o := range objects {
		ok, err := b.Exists(ctx, o)
		if err == nil && !ok {
			err = fmt.Errorf("object %s is not there", o)
		}
		if err != nil {
			b.Close()
			return usagef("tenant offboard: --archive-store %s does not hold the tenant's archives (%v): give the store archive run wrote to; nothing was deleted", a.store, err)
		}
	}
	a.bucket = b
	return nil
}

// Close releases the store preflight opened.
func (a *archivePurge) Close() {
	if a.bucket != nil {
		a.bucket.Close()
		a.bucket = nil
	}
}

// run purges the archives (or records the skip) after a completed hard delete; skipped
// is the reason once recorded.
func (a *archivePurge) run(ctx context.Context, e *env, conn *pgx.Conn, tenant, who string, now time.Time, pr *progress) (res *archive.PurgeResult, skipped string, err error) {
	if a.skip != "" {
		if err := archive.For(e.policy).RecordPurgeSkipped(ctx, conn, tenant, a.skip, who, now); err != nil {
			return nil, "", err
		}
		return nil, a.skip, nil
	}
	if a.bucket == nil {
		return nil, "", nil
	}
	res, err = archive.PurgeTenant(ctx, conn, a.bucket, tenant, archive.PurgeOptions{Policy: e.policy, Actor: who, Now: func() time.Time { return now },
		Progress: func(ev archive.Event) { pr.Printf("archive purge: %s %s", ev.Partition, ev.Detail) }})
	if err != nil {
		err = fmt.Errorf("tenant offboard: the hard delete of tenant %s is complete, but purging its partition archives failed: %w; "+
			"fix the cause and run the same command again (the hard delete returns its recorded result and the purge resumes)", tenant, err)
	}
	return res, "", err
}

// printOffboardResult prints the hard delete and, when it ran, the archive purge; the
// JSON object is the hard delete's with archive_purge (or archive_purge_skipped) added.
func printOffboardResult(e *env, res *retention.DeleteResult, purge *archive.PurgeResult, skipped string) error {
	if purge == nil && skipped == "" {
		return printDeleteResult(e, res)
	}
	if e.format == "json" {
		return writeJSON(e.stdout, struct {
			*retention.DeleteResult
			ArchivePurge        *archive.PurgeResult `json:"archive_purge,omitempty"`
			ArchivePurgeSkipped string               `json:"archive_purge_skipped,omitempty"`
		}{res, purge, skipped})
	}
	if err := printDeleteResult(e, res); err != nil {
		return err
	}
	if skipped != "" {
		fmt.Fprintf(e.stdout, "archive purge skipped (recorded): %s\n", skipped)
		return nil
	}
	for _, p := range purge.Archives {
		fmt.Fprintf(e.stdout, "archive %s (%s): %d row(s) removed, %d left, now %s\n", p.ID, p.Partition, p.RowsRemoved, p.Rows, p.Object)
	}
	for _, b := range purge.Blocked {
		fmt.Fprintf(e.stdout, "archive %s (%s) not purged: %s\n", b.ID, b.Partition, b.Reason)
	}
	fmt.Fprintf(e.stdout, "%s: %d archive(s) rewritten, %d row(s) removed\n", archive.PurgeOperation(purge.Tenant), len(purge.Archives), purge.Rows())
	return nil
}
