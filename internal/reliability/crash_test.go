package reliability

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/parquetio"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/retention"
)

// noTxDir is a migration directory whose second version runs without a transaction,
// statement by statement; its statements are idempotent so that resolving the dirty
// revision as rolled back and re-running the file completes it.
func noTxDir(t *testing.T) string {
	t.Helper()
	files := map[string]string{
		"20260101000000_items.up.sql":   "CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL);\nINSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 500) g;\n",
		"20260101000000_items.down.sql": "DROP TABLE items;\n",
		"20260102000000_index.up.sql": "-- lsos:no-transaction\n" +
			"CREATE INDEX CONCURRENTLY IF NOT EXISTS items_v_idx ON items (v);\n" +
			"ALTER TABLE items ADD COLUMN IF NOT EXISTS w int;\n" +
			"CREATE INDEX CONCURRENTLY IF NOT EXISTS items_w_idx ON items (w);\n",
		"20260102000000_index.down.sql": "-- lsos:no-transaction\n" +
			"DROP INDEX CONCURRENTLY IF EXISTS items_w_idx;\n" +
			"ALTER TABLE items DROP COLUMN IF EXISTS w;\n" +
			"DROP INDEX CONCURRENTLY IF EXISTS items_v_idx;\n",
		"20260103000000_after.up.sql":   "CREATE TABLE after_index (id int PRIMARY KEY);\n",
		"20260103000000_after.down.sql": "DROP TABLE after_index;\n",
	}
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrate.Hash(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCrashNoTransactionMigration kills a migrator process between the statements of a
// no-transaction migration. The revision stays dirty, every later Up refuses with a
// DirtyError, Resolve records who settled it and why, and the re-run completes: the
// schema is at the last version, the data is unchanged and the revision log holds the
// whole story.
func TestCrashNoTransactionMigration(t *testing.T) {
	t.Parallel()
	for _, stmt := range []string{"0", "1"} {
		t.Run("after-statement-"+stmt, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url, db := fresh(t)
			dir := noTxDir(t)
			d, err := migrate.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			m, err := migrate.NewMigrator(db, d, migrate.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.UpTo(ctx, "20260101000000"); err != nil {
				t.Fatal(err)
			}
			before := digestOf(t, db, "items", "")

			runKilled(t, modeMigrate, childArgs{URL: url, Dir: dir, KillAt: "stmt:20260102000000:" + stmt})

			st, err := m.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(st) != 3 || st[1].State != "dirty" || st[2].State != "pending" {
				t.Fatalf("status after the kill: %+v", st)
			}
			_, err = m.Up(ctx)
			var de *migrate.DirtyError
			if !errors.As(err, &de) || de.Version != "20260102000000" || !errors.Is(err, migrate.ErrDirty) {
				t.Fatalf("Up after the kill = %v; want a DirtyError for 20260102000000", err)
			}
			if exists(t, db, "after_index") {
				t.Fatal("a later version ran past the dirty one")
			}
			if err := m.Resolve(ctx, "20260102000000", migrate.ResolvedRolledBack, "reliability: statements are idempotent, re-run the file"); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Up(ctx); err != nil {
				t.Fatal(err)
			}
			st, err = m.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range st {
				if s.State != migrate.StateApplied {
					t.Fatalf("after resolve and re-run: %+v", st)
				}
			}
			if n := count(t, db, `SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('items_v_idx', 'items_w_idx') AND i.indisvalid`); n != 2 {
				t.Fatalf("%d valid indexes of 2", n)
			}
			if !exists(t, db, "after_index") || count(t, db, `SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'w'`) != 1 {
				t.Fatal("schema is not at the last version")
			}
			if got := digestOf(t, db, "(SELECT id, v FROM items)", ""); got != before {
				t.Fatalf("items changed: %v, was %v", got, before)
			}
			var actions string
			if err := db.QueryRow(ctx, `SELECT string_agg(action, ',' ORDER BY action) FROM lsos_migrate.revision_log WHERE version = '20260102000000'`).Scan(&actions); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(actions, "resolve") {
				t.Fatalf("revision log of the dirty version: %q; want a resolve record", actions)
			}
			t.Logf("FIGURE migrate kill after statement %s: dirty→resolved→applied; revision log %q", stmt, actions)
		})
	}
}

// archiveKillPoints are the moments an archive worker is SIGKILLed: inside the progress
// hook right after a step was recorded, or right after a crash point (internal/faults) stopped a step whose
// completion was not recorded yet.
var archiveKillPoints = []string{
	"after:uploaded", // object uploaded, not verified, no manifest
	"crash:export",   // object uploaded, catalog still says pending
	"after:verified", // verified, manifest not written
	"crash:record",   // manifest written, catalog not updated
	"after:detached", // detached, not dropped
	"crash:detach",   // detached, catalog still says recorded
}

// TestCrashArchiveRun SIGKILLs an archive worker at each kill point, re-runs it, and
// checks that the partition was archived exactly once, that live plus archived rows
// equal the original rows (md5 of the ordered rows, archived rows read back through
// Restore), and that the event log holds every step.
func TestCrashArchiveRun(t *testing.T) {
	t.Parallel()
	const part = "public.ranking_snapshots_2025_01"
	for _, kp := range archiveKillPoints {
		t.Run(strings.ReplaceAll(kp, ":", "-"), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url, db := fresh(t)
			storeDir := t.TempDir()
			parent := digestOf(t, db, "ranking_snapshots", "")
			partD := digestOf(t, db, part, "")
			if partD.Rows == 0 {
				t.Fatal("empty partition: the test would prove nothing")
			}

			runKilled(t, modeArchive, childArgs{URL: url, Dir: storeDir, Partitions: []string{part}, KillAt: kp, Now: fixedNow})

			// Nothing is lost at the kill point: the rows are in the parent or in the
			// detached table.
			live := count(t, db, `SELECT count(*) FROM ranking_snapshots`)
			if !isPartition(t, db, part) {
				if !exists(t, db, part) {
					t.Fatalf("killed at %s: partition dropped before the run completed", kp)
				}
				live += count(t, db, `SELECT count(*) FROM `+part)
			}
			if live != parent.Rows {
				t.Fatalf("killed at %s: %d rows in the database, %d before", kp, live, parent.Rows)
			}

			store := openStore(t, storeDir)
			rep, err := archive.Run(ctx, db, store, governance.Default(), archive.Options{Now: func() time.Time { return fixedNow }, Partitions: []archive.Partition{{Name: part}}})
			if err != nil {
				t.Fatalf("re-run: %v (%+v)", err, rep)
			}
			checkArchived(t, db, store, "ranking_snapshots", part, parent, partD)
			t.Logf("FIGURE archive kill at %s: %d rows archived once, live+archived md5 equal", kp, partD.Rows)
		})
	}
}

// checkArchived verifies the invariants after part was archived: one complete catalog
// entry, the parent lost exactly part's rows, the archived rows equal part's rows, and
// each lifecycle step is in the event log (the drop exactly once), whatever crashed.
func checkArchived(t *testing.T, db *pgxpool.Pool, store *blob.Bucket, parentTable, part string, parent, partD digest) {
	t.Helper()
	ctx := context.Background()
	es, err := archive.List(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Partition != part || es[0].State != "dropped" || es[0].Rows != partD.Rows {
		t.Fatalf("catalog: %+v; want one dropped entry of %s with %d rows", es, part, partD.Rows)
	}
	if exists(t, db, part) {
		t.Fatalf("%s still exists", part)
	}
	if got := digestOf(t, db, parentTable, ""); got.Rows != parent.Rows-partD.Rows {
		t.Fatalf("parent has %v; want %d rows", got, parent.Rows-partD.Rows)
	}
	if err := archive.Verify(ctx, db, store, es[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := archive.Restore(ctx, db, store, es[0].ID, archive.Target{Table: "public.restored"}); err != nil {
		t.Fatal(err)
	}
	if got := digestOf(t, db, "restored", ""); got != partD {
		t.Fatalf("archived rows %v; the partition had %v", got, partD)
	}
	if got := digestOf(t, db, "(SELECT * FROM "+parentTable+" UNION ALL SELECT * FROM restored)", ""); got != parent {
		t.Fatalf("live + archived rows %v; originally %v", got, parent)
	}
	for _, step := range []string{"export", "verify", "record", "detach", "drop"} {
		n := count(t, db, `SELECT count(*) FROM lsos_archive.events WHERE archive_id = $1 AND step = $2`, es[0].ID, step)
		if n < 1 || (step == "drop" && n != 1) {
			t.Fatalf("event log has %d %q events for %s", n, step, es[0].ID)
		}
	}
}

// TestArchiveCrashKeepsEveryStepEvent SIGKILLs an archive worker right after the
// detach step is recorded (inside the Progress hook, the first moment the step is
// reported) and re-runs it: every lifecycle step, the destructive DETACH included, has
// its row in lsos_archive.events. archive.Run writes a step's catalog state and its
// event in one statement, so no crash can leave a step recorded without its audit
// record; a step whose work runs outside a transaction (DETACH … CONCURRENTLY, DROP) is
// recorded by the re-run, which finds the work done. TestCrashArchiveRun checks the same
// at every kill point.
func TestArchiveCrashKeepsEveryStepEvent(t *testing.T) {
	t.Parallel()
	const part = "public.ranking_snapshots_2025_02"
	ctx := context.Background()
	url, db := fresh(t)
	storeDir := t.TempDir()
	parent := digestOf(t, db, "ranking_snapshots", "")
	partD := digestOf(t, db, part, "")
	runKilled(t, modeArchive, childArgs{URL: url, Dir: storeDir, Partitions: []string{part}, KillAt: "after:detached", Now: fixedNow})
	// At the kill the catalog says detached, and the detach event is already there.
	if n := count(t, db, `SELECT count(*) FROM lsos_archive.events e JOIN lsos_archive.archives a ON a.id = e.archive_id
		WHERE a.partition = $1 AND a.state = 'detached' AND e.step = 'detach'`, part); n != 1 {
		t.Fatalf("after a kill right after the detach was recorded: %d detach events for a detached entry; want 1", n)
	}
	store := openStore(t, storeDir)
	if _, err := archive.Run(ctx, db, store, governance.Default(), archive.Options{Now: func() time.Time { return fixedNow }, Partitions: []archive.Partition{{Name: part}}}); err != nil {
		t.Fatal(err)
	}
	checkArchived(t, db, store, "ranking_snapshots", part, parent, partD)
}

// TestCrashOffboardingHardDelete SIGKILLs a hard delete between batches and resumes it:
// the tenant ends purged, every other tenant's rows are unchanged (md5 per table), the
// export taken before the delete still verifies and holds every deleted row, and the
// audit records count every deleted row exactly once.
func TestCrashOffboardingHardDelete(t *testing.T) {
	t.Parallel()
	const tenant = "3"
	for _, batch := range []string{"1", "9"} {
		t.Run("after-batch-"+batch, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url, db := fresh(t)
			p := governance.Default()
			now := offboardNow
			ob, err := retention.NewOffboarder(db, p, retention.OffboardConfig{Actor: "reliability", Now: func() time.Time { return now }, BatchSize: 25})
			if err != nil {
				t.Fatal(err)
			}
			others := tenantDigests(t, db, "<> "+tenant)
			mine := tenantDigests(t, db, "= "+tenant)
			if _, err := ob.SoftDelete(ctx, tenant); err != nil {
				t.Fatal(err)
			}
			store := openStore(t, t.TempDir())
			exp, err := ob.Export(ctx, tenant, store, "offboarding")
			if err != nil {
				t.Fatal(err)
			}
			now = now.AddDate(0, 0, 31) // past the export window

			runKilled(t, modeOffboard, childArgs{URL: url, Tenant: tenant, BatchSize: 25, KillAt: "batch:" + batch, Now: now})

			if st, err := ob.Status(ctx, tenant); err != nil || st.Stage != retention.StageHardDeleting {
				t.Fatalf("after the kill: %+v %v; want hard-deleting", st, err)
			}
			res, err := ob.HardDelete(ctx, tenant)
			if err != nil {
				t.Fatal(err)
			}
			checkOffboarded(t, db, ob, store, tenant, others, mine, exp)
			t.Logf("FIGURE offboarding kill after batch %s: %d rows deleted in total, other tenants unchanged", batch, res.Rows)
		})
	}
}

func checkOffboarded(t *testing.T, db *pgxpool.Pool, ob *retention.Offboarder, store *blob.Bucket, tenant string, others, mine map[string]digest, exp *retention.ExportResult) {
	t.Helper()
	ctx := context.Background()
	if got := tenantDigests(t, db, "<> "+tenant); !maps.Equal(got, others) {
		t.Fatalf("other tenants' rows changed:\n got %v\nwant %v", got, others)
	}
	for table, d := range tenantDigests(t, db, "= "+tenant) {
		if d.Rows != 0 {
			t.Fatalf("%s still holds %d rows of tenant %s", table, d.Rows, tenant)
		}
	}
	exported := map[string]int64{}
	for _, m := range exp.Manifests {
		if err := parquetio.Verify(ctx, store, m.Object, m.SHA256, m.Rows); err != nil {
			t.Fatalf("export of %s: %v", m.Table, err)
		}
		exported[m.Table] = m.Rows
	}
	recs, err := retention.AuditRecords(ctx, db, "offboard:"+tenant)
	if err != nil {
		t.Fatal(err)
	}
	deleted := map[string]int64{}
	for _, r := range recs {
		if r.FinishedAt == nil {
			t.Fatalf("audit record of %s not finished: %+v", r.Table, r)
		}
		deleted[r.Table] += r.Rows
	}
	var total int64
	for table, d := range mine {
		if d.Rows == 0 {
			continue
		}
		if deleted[table] != d.Rows || exported[table] != d.Rows {
			t.Fatalf("%s: tenant had %d rows; audit says %d deleted, export holds %d", table, d.Rows, deleted[table], exported[table])
		}
		total += d.Rows
	}
	if total == 0 {
		t.Fatal("the tenant had no rows: the test proves nothing")
	}
	if st, err := ob.Status(ctx, tenant); err != nil || st.Stage != retention.StagePurged {
		t.Fatalf("status %+v %v; want purged", st, err)
	}
}
