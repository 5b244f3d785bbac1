package archive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"gocloud.dev/blob"
)

// guardedPart is the partition the write-guard tests archive.
const guardedPart = "public.ranking_snapshots_2024_11"

// stopAfter archives guardedPart up to the given step (a simulated crash right after
// it), leaving the run to be resumed.
func stopAfter(t *testing.T, db TxDB, store *blob.Bucket, step Step, opts Options) {
	t.Helper()
	opts.Partitions = []Partition{{Name: guardedPart}}
	opts.crashAfter = step
	if _, err := run(t, db, store, opts); !errors.Is(err, ErrCrash) {
		t.Fatalf("run stopped after %s: %v; want ErrCrash", step, err)
	}
}

// stoppedAt is a fresh sample database and store where the archive of guardedPart
// stopped right after step, and the options that resume it.
func stoppedAt(t *testing.T, step Step) (*pgxpool.Pool, *blob.Bucket, Options) {
	t.Helper()
	db, store := sampleDB(t), fileStore(t)
	opts := Options{Partitions: []Partition{{Name: guardedPart}}}
	stopAfter(t, db, store, step, opts)
	return db, store, opts
}

// attached reports whether ranking_snapshots_2024_11 is still a partition.
func attached(t *testing.T, db DB) bool {
	t.Helper()
	return count(t, db, `SELECT count(*) FROM pg_inherits WHERE inhrelid = 'ranking_snapshots_2024_11'::regclass`) == 1
}

// TestGuardStopsOnWritesAfterExport: every kind of write committed after the export
// (an UPDATE that keeps the row count, a DELETE + INSERT that keeps it too, a TRUNCATE,
// a write by a role with no privilege on the SDK's schema, a write under
// session_replication_role = replica) stops the run before the detach, leaves the
// partition attached with its rows, and the next run archives what the partition
// holds then.
func TestGuardStopsOnWritesAfterExport(t *testing.T) {
	role := fmt.Sprintf("lsos_guard_writer_%d", time.Now().UnixNano())
	cases := []struct {
		name string
		sql  []string
	}{
		{"update keeping the row count", []string{`UPDATE ranking_snapshots SET position = position + 1 WHERE captured_on = '2024-11-01'`}},
		{"delete and insert keeping the row count", []string{
			`DELETE FROM ranking_snapshots WHERE (tenant_id, keyword_id, captured_on) IN (SELECT tenant_id, keyword_id, captured_on FROM ranking_snapshots_2024_11 LIMIT 1)`,
			`INSERT INTO ranking_snapshots SELECT tenant_id, keyword_id, captured_on + 1, 7, url, serp_features FROM ranking_snapshots_2024_11 WHERE captured_on = '2024-11-01' ORDER BY 1, 2 LIMIT 1 ON CONFLICT DO NOTHING`}},
		{"truncate", []string{`TRUNCATE ranking_snapshots_2024_11`}},
		{"a role with no privilege on the SDK's schemas", []string{
			`CREATE ROLE ` + role + ` NOLOGIN`,
			`GRANT SELECT, UPDATE ON ranking_snapshots, ranking_snapshots_2024_11 TO ` + role,
			`SET ROLE ` + role,
			`UPDATE ranking_snapshots SET position = position + 1 WHERE captured_on = '2024-11-01'`,
			`RESET ROLE`}},
		{"session_replication_role replica", []string{
			`SET session_replication_role = replica`,
			`UPDATE ranking_snapshots_2024_11 SET url = url || '#' WHERE captured_on = '2024-11-01'`,
			`RESET session_replication_role`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := sampleDB(t)
			t.Cleanup(func() {
				_, _ = db.Exec(context.Background(), `DROP OWNED BY `+role)
				_, _ = db.Exec(context.Background(), `DROP ROLE IF EXISTS `+role)
			})
			store := fileStore(t)
			opts := Options{Partitions: []Partition{{Name: guardedPart}}}
			stopAfter(t, db, store, StepVerify, opts)
			conn, err := db.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.sql {
				if _, err := conn.Exec(ctx, s); err != nil {
					conn.Release()
					t.Fatalf("%s: %v", s, err)
				}
			}
			conn.Release()
			want := count(t, db, `SELECT count(*) FROM ranking_snapshots_2024_11`)
			_, err = run(t, db, store, opts)
			if !errors.Is(err, ErrVerify) || !strings.Contains(err.Error(), "was written to") {
				t.Fatalf("err %v; want ErrVerify saying the partition was written to", err)
			}
			if !attached(t, db) {
				t.Fatal("the partition was detached although it was written to after its export")
			}
			rep, err := run(t, db, store, opts)
			if err != nil {
				t.Fatal(err)
			}
			if p, rows := rep.Archived(); p != 1 || rows != want {
				t.Fatalf("archived %d partitions, %d rows; want 1, %d", p, rows, want)
			}
			if n := count(t, db, `SELECT count(*) FROM lsos_archive.writes`); n != 0 {
				t.Fatalf("%d write notes left after the drop; want 0", n)
			}
		})
	}
}

// TestGuardIgnoresRolledBackWrites: a write rolled back changes nothing and leaves no
// note; the archive completes without exporting again.
func TestGuardIgnoresRolledBackWrites(t *testing.T) {
	ctx := context.Background()
	db, store, opts := stoppedAt(t, StepVerify)
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE ranking_snapshots SET position = 1 WHERE captured_on = '2024-11-01'`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := run(t, db, store, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Partitions[0].State != stateDropped {
		t.Fatalf("state %q; want dropped", rep.Partitions[0].State)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_archive.events WHERE step = 'export' AND detail = 'uploaded'`); n != 1 {
		t.Fatalf("%d exports recorded; want 1 (a rolled-back write must not cause a re-export)", n)
	}
}

// TestGuardCatchesWritesBetweenDetachAndDrop: a row written straight into the detached
// table (its name still resolves) after the detach stops the drop; the table is kept,
// with the row, and the next run exports it again.
func TestGuardCatchesWritesBetweenDetachAndDrop(t *testing.T) {
	ctx := context.Background()
	db, store, opts := stoppedAt(t, StepDetach)
	if attached(t, db) {
		t.Fatal("the partition is still attached after the detach step")
	}
	if _, err := db.Exec(ctx, `UPDATE ranking_snapshots_2024_11 SET position = 1 WHERE captured_on = '2024-11-01'`); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, db, store, opts)
	if !errors.Is(err, ErrVerify) || !strings.Contains(err.Error(), "detached") {
		t.Fatalf("err %v; want ErrVerify about the detached table", err)
	}
	if n := count(t, db, `SELECT count(*) FROM ranking_snapshots_2024_11 WHERE captured_on = '2024-11-01' AND position = 1`); n == 0 {
		t.Fatal("the detached table or the updated rows are gone")
	}
	var state string
	if err := db.QueryRow(ctx, `SELECT state FROM lsos_archive.archives WHERE partition = $1`, guardedPart).Scan(&state); err != nil {
		t.Fatal(err)
	}
	if state != statePending {
		t.Fatalf("catalog state %q; want pending (export again)", state)
	}
}

// TestGuardMissingFallsBackToCounting: a partition whose guard triggers were dropped
// (or disabled) after its export is counted as before, so an INSERT still stops the run;
// an UPDATE is then missed, which is why the guard exists. The guard function is what
// the triggers call: without EXECUTE on it the guard cannot be put on, and the run
// counts rows.
func TestGuardMissingFallsBackToCounting(t *testing.T) {
	for _, how := range []string{"drop", "disable"} {
		t.Run(how, func(t *testing.T) {
			ctx := context.Background()
			db, store, opts := stoppedAt(t, StepVerify)
			if n := count(t, db, `SELECT count(*) FROM pg_trigger WHERE tgrelid = 'ranking_snapshots_2024_11'::regclass AND tgname LIKE 'lsos_archive_guard%' AND tgenabled = 'A'`); n != 2 {
				t.Fatalf("%d guard triggers enabled always on the exported partition; want 2", n)
			}
			stmt := `DROP TRIGGER lsos_archive_guard ON ranking_snapshots_2024_11`
			if how == "disable" {
				stmt = `ALTER TABLE ranking_snapshots_2024_11 DISABLE TRIGGER lsos_archive_guard`
			}
			if _, err := db.Exec(ctx, stmt); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ctx, `INSERT INTO ranking_snapshots SELECT tenant_id, keyword_id, captured_on + 1, 99, url, serp_features FROM ranking_snapshots_2024_11 WHERE captured_on = '2024-11-01' ON CONFLICT DO NOTHING`); err != nil {
				t.Fatal(err)
			}
			_, err := run(t, db, store, opts)
			if !errors.Is(err, ErrVerify) || !strings.Contains(err.Error(), "rows, the archive") {
				t.Fatalf("err %v; want ErrVerify from the row count", err)
			}
			if !attached(t, db) {
				t.Fatal("the partition was detached although its row count changed")
			}
		})
	}
}

// TestGuardRemovedFromKeptCopy: a partition kept detached carries neither the guard
// triggers nor notes, and writes to it afterwards are not noted.
func TestGuardRemovedFromKeptCopy(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	store := fileStore(t)
	rep, err := run(t, db, store, Options{Partitions: []Partition{{Name: guardedPart}}, KeepDetached: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Partitions[0].State != stateKept {
		t.Fatalf("state %q; want kept", rep.Partitions[0].State)
	}
	if n := count(t, db, `SELECT count(*) FROM pg_trigger WHERE tgrelid = 'lsos_archive_detached.ranking_snapshots_2024_11'::regclass AND tgname LIKE 'lsos_archive_guard%'`); n != 0 {
		t.Fatalf("the kept copy has %d guard triggers; want 0", n)
	}
	if _, err := db.Exec(ctx, `DELETE FROM lsos_archive_detached.ranking_snapshots_2024_11 WHERE captured_on = '2024-11-01'`); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_archive.writes`); n != 0 {
		t.Fatalf("%d write notes; want 0", n)
	}
}

// TestGuardWithoutPrivilegesCountsRows: a role that may archive (it owns the tables)
// but may not execute the guard function (another role installed the catalog, which
// keeps EXECUTE to itself), or was granted the catalog's tables before the writes table
// existed, archives with row counts instead, is told so in the log, and still stops on
// a row written after the export.
func TestGuardWithoutPrivilegesCountsRows(t *testing.T) {
	for _, tc := range []struct{ name, grant string }{
		{"no execute on the function", ``},
		{"no privilege on the writes table", `REVOKE ALL ON lsos_archive.writes FROM %[1]s; GRANT EXECUTE ON FUNCTION lsos_archive.note_write() TO %[1]s`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := sampleDB(t)
			if err := Install(ctx, db); err != nil {
				t.Fatal(err)
			}
			role := fmt.Sprintf("lsos_guard_archiver_%d", time.Now().UnixNano())
			setup := []string{
				`CREATE ROLE ` + role + ` NOLOGIN`,
				`GRANT USAGE ON SCHEMA lsos_archive TO ` + role,
				`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA lsos_archive TO ` + role,
				`GRANT USAGE ON ALL SEQUENCES IN SCHEMA lsos_archive TO ` + role,
				`ALTER TABLE ranking_snapshots OWNER TO ` + role,
				`ALTER TABLE ranking_snapshots_2024_11 OWNER TO ` + role,
			}
			if tc.grant != "" {
				setup = append(setup, strings.Split(fmt.Sprintf(tc.grant, role), "; ")...)
			}
			t.Cleanup(func() {
				_, _ = db.Exec(context.Background(), `DROP OWNED BY `+role+` CASCADE`)
				_, _ = db.Exec(context.Background(), `DROP ROLE IF EXISTS `+role)
			})
			for _, s := range setup {
				if _, err := db.Exec(ctx, s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			conn, err := db.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Release()
			if _, err := conn.Exec(ctx, `SET ROLE `+role); err != nil {
				t.Fatal(err)
			}
			defer conn.Exec(context.Background(), `RESET ROLE`)
			var logs strings.Builder
			store := fileStore(t)
			opts := Options{Partitions: []Partition{{Name: guardedPart}}, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			stopAfter(t, conn, store, StepVerify, opts)
			if !strings.Contains(logs.String(), "no write guard on the partition") {
				t.Fatalf("the log does not say the rows are counted instead:\n%s", logs.String())
			}
			rep := countedAfterInsert(t, conn, store, opts, `INSERT INTO ranking_snapshots SELECT tenant_id, keyword_id, captured_on + 1, 99, url, serp_features FROM ranking_snapshots_2024_11 WHERE captured_on = '2024-11-01' ON CONFLICT DO NOTHING`)
			if rep.Partitions[0].State != stateDropped {
				t.Fatalf("state %q; want dropped", rep.Partitions[0].State)
			}
		})
	}
}

// TestGuardSubpartitionedPartitionIsCounted: a partition that is itself partitioned
// gets no guard (a write would be noted under the leaf it lands in); it is archived with
// row counts, which still stop the run on a row inserted after the export.
func TestGuardSubpartitionedPartitionIsCounted(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	store := fileStore(t)
	for _, s := range []string{
		`CREATE TABLE subp (tenant_id bigint NOT NULL, d date NOT NULL, v int) PARTITION BY RANGE (d)`,
		`CREATE TABLE subp_2024_01 PARTITION OF subp FOR VALUES FROM ('2024-01-01') TO ('2024-02-01') PARTITION BY LIST (tenant_id)`,
		`CREATE TABLE subp_2024_01_t1 PARTITION OF subp_2024_01 FOR VALUES IN (1)`,
		`CREATE TABLE subp_2024_01_rest PARTITION OF subp_2024_01 DEFAULT`,
		`INSERT INTO subp SELECT g % 3 + 1, DATE '2024-01-01' + g % 28, g FROM generate_series(1, 300) g`,
	} {
		if _, err := db.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	opts := Options{Partitions: []Partition{{Name: "public.subp_2024_01"}}}
	opts.crashAfter = StepVerify
	if _, err := run(t, db, store, opts); !errors.Is(err, ErrCrash) {
		t.Fatalf("run stopped after verify: %v; want ErrCrash", err)
	}
	opts.crashAfter = ""
	if n := count(t, db, `SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'lsos_archive_guard%'`); n != 0 {
		t.Fatalf("%d guard triggers on a sub-partitioned partition or its leaves; want 0", n)
	}
	rep := countedAfterInsert(t, db, store, opts, `INSERT INTO subp VALUES (1, '2024-01-05', -1)`)
	if p, rows := rep.Archived(); p != 1 || rows != 301 {
		t.Fatalf("archived %d partitions, %d rows; want 1, 301", p, rows)
	}
}

// countedAfterInsert inserts a row into a partition whose archive stopped after its
// verify step and was not guarded: the resumed run must stop on the row count, and the
// run after it archive the partition; it returns that last run's report.
func countedAfterInsert(t *testing.T, db TxDB, store *blob.Bucket, opts Options, insert string) *Report {
	t.Helper()
	if _, err := db.Exec(context.Background(), insert); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, db, store, opts); !errors.Is(err, ErrVerify) || !strings.Contains(err.Error(), "rows, the archive") {
		t.Fatalf("err %v; want ErrVerify from the row count", err)
	}
	rep, err := run(t, db, store, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}
