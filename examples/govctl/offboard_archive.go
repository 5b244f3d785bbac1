package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/internal/parquetio"
	"github.com/lsos/lsosgov/retention"
)

// archivePurge is the archive step of "tenant offboard --stage hard-delete": purging a
// tenant also purges its rows from the partition archives exported before the hard
// delete (archive.PurgeTenant), unless the operator says why not.
type archivePurge struct {
	store string // --archive-store: the store archive run wrote to
	skip  string // --skip-archive-purge: the reason, recorded in the audit trail
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
// tenant's rows in partition archives without a decision.
func (a *archivePurge) preflight(ctx context.Context, conn *pgx.Conn, tenant string) error {
	if a.store != "" || a.skip != "" {
		return nil
	}
	var catalog bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('lsos_archive.archives') IS NOT NULL`).Scan(&catalog); err != nil || !catalog {
		return err // no archive catalog: nothing was archived here
	}
	var n int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM lsos_archive.archives WHERE $1 = ANY(tenants)`, tenant).Scan(&n); err != nil {
		return fmt.Errorf("tenant offboard: count archives of tenant %s: %w", tenant, err)
	}
	if n > 0 {
		return usagef("tenant offboard --stage hard-delete: %d partition archive(s) hold rows of tenant %s, and purging a tenant purges its archived rows too: give --archive-store URL (the store of archive run), or --skip-archive-purge \"REASON\" to keep them with the reason recorded", n, tenant)
	}
	return nil
}

// run purges the archives (or records the skip) after a completed hard delete; skipped
// is the reason once recorded.
func (a *archivePurge) run(ctx context.Context, e *env, conn *pgx.Conn, tenant, who string, now time.Time, pr *progress) (res *archive.PurgeResult, skipped string, err error) {
	if a.skip != "" {
		if err := archive.RecordPurgeSkipped(ctx, conn, tenant, a.skip, who, now); err != nil {
			return nil, "", err
		}
		return nil, a.skip, nil
	}
	if a.store == "" {
		return nil, "", nil
	}
	b, err := parquetio.OpenBucket(ctx, a.store)
	if err != nil {
		return nil, "", usagef("tenant offboard: --archive-store: %v", err)
	}
	defer b.Close()
	res, err = archive.PurgeTenant(ctx, conn, b, tenant, archive.PurgeOptions{Policy: e.policy, Actor: who, Now: func() time.Time { return now },
		Progress: func(ev archive.Event) { pr.Printf("archive purge: %s %s", ev.Partition, ev.Detail) }})
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
