package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var fixedNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func sampleSetup(ctx context.Context, c *pgx.Conn) error {
	if err := lsos.Apply(ctx, c); err != nil {
		return err
	}
	return lsos.LoadSample(ctx, c, lsos.SampleOptions{Now: fixedNow})
}

func sampleDB(t *testing.T) *pgxpool.Pool { return pgtest.DB(t, "archive-lsos", sampleSetup) }

func fileStore(t *testing.T) *blob.Bucket {
	b, err := OpenBucket(context.Background(), "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// failingBackend fails uploads while fail is set: an S3 error answer (500) to every
// upload, switched on and off between runs. It stays on gofakes3 because a real server
// cannot be made to answer an upload with an error on demand; the faults a real server
// can produce (wrong key, missing bucket, frozen or killed server) are tested on
// SeaweedFS in seaweedfs_test.go.
type failingBackend struct {
	gofakes3.Backend
	mu   sync.Mutex
	fail bool
}

func (f *failingBackend) failing() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.fail }
func (f *failingBackend) set(v bool)    { f.mu.Lock(); f.fail = v; f.mu.Unlock() }

func (f *failingBackend) PutObject(b, k string, meta map[string]string, in io.Reader, size int64, c *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	if f.failing() {
		return gofakes3.PutObjectResult{}, errors.New("injected upload failure")
	}
	return f.Backend.PutObject(b, k, meta, in, size, c)
}

// s3Store starts an in-process S3-compatible server (gofakes3) on 127.0.0.1 and opens a
// bucket on it through s3blob, the production driver: for the injected upload failures
// of failingBackend, and as a second S3 implementation beside SeaweedFS in TestEndToEnd
// and the purge tests.
func s3Store(t *testing.T) (*blob.Bucket, *failingBackend, string) {
	be := &failingBackend{Backend: s3mem.New()}
	if err := be.CreateBucket("archive"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(be).Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	u := "s3://archive?region=us-east-1&endpoint=" + srv.URL + "&use_path_style=true&request_checksum_calculation=when_required&response_checksum_validation=when_required"
	b, err := OpenBucket(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, be, u
}

func count(t *testing.T, db DB, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func snapshotRows(t *testing.T, db DB) int64 {
	return count(t, db, `SELECT (SELECT count(*) FROM ranking_snapshots) + (SELECT count(*) FROM crawl_outputs)`)
}

// sameRows fails unless a and b hold the same multiset of rows.
func sameRows(t *testing.T, db DB, a, b string) {
	t.Helper()
	// Rows compare as their text form: json has no equality operator, and text output is
	// exact for every type (floats print round-trip precision).
	n := count(t, db, fmt.Sprintf(`SELECT count(*) FROM ((SELECT x::text FROM %s x EXCEPT ALL SELECT y::text FROM %s y) UNION ALL (SELECT y::text FROM %s y EXCEPT ALL SELECT x::text FROM %s x)) d`, a, b, b, a))
	if n != 0 {
		t.Fatalf("%s and %s differ in %d rows", a, b, n)
	}
	if count(t, db, `SELECT count(*) FROM `+a) == 0 {
		t.Fatalf("%s is empty: the comparison proves nothing", a)
	}
}

func run(t *testing.T, db TxDB, store *blob.Bucket, opts Options) (*Report, error) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixedNow }
	}
	return Run(context.Background(), db, store, governance.Default(), opts)
}

func TestEndToEnd(t *testing.T) {
	for _, kind := range []string{"file", "s3", "seaweedfs"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			db := sampleDB(t)
			var store *blob.Bucket
			switch kind {
			case "file":
				store = fileStore(t)
			case "s3":
				store, _, _ = s3Store(t)
			default:
				store = seaweedStore(t) // a real S3 server
			}
			if _, err := db.Exec(ctx, `CREATE TABLE before_2025_03 AS SELECT * FROM ranking_snapshots_2025_03`); err != nil {
				t.Fatal(err)
			}
			before := snapshotRows(t, db)
			tables := []string{"public.ranking_snapshots", "crawl_outputs"}

			dry, err := run(t, db, store, Options{Tables: tables, DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := snapshotRows(t, db); got != before || len(dry.Partitions) != 22 {
				t.Fatalf("dry run: %d partitions listed (want 22: 11 eligible months × 2 tables), rows %d → %d", len(dry.Partitions), before, got)
			}

			steps := map[Step]int{}
			var logs strings.Builder
			rep, err := run(t, db, store, Options{
				Tables: tables, Export: ExportOptions{RowGroupRows: 50},
				Progress: func(e Event) { steps[e.Step]++ },
				Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
			})
			if err != nil {
				t.Fatal(err)
			}
			if steps[StepVerify] != 22 || steps[StepDetach] != 22 || steps[StepDrop] != 22 || steps[StepExport] < 22 {
				t.Errorf("progress events by step: %v", steps)
			}
			if c := strings.Count(logs.String(), "step=drop"); c != 22 {
				t.Errorf("%d drop lines logged; want 22", c)
			}
			parts, archived := rep.Archived()
			after := snapshotRows(t, db)
			if parts != 22 {
				t.Fatalf("archived %d partitions; want 22: %+v", parts, rep.Partitions)
			}
			entries, err := List(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			var manifestRows int64
			for _, e := range entries {
				if e.State != "dropped" {
					t.Errorf("%s state %s", e.Partition, e.State)
				}
				manifestRows += e.Manifest.Rows
			}
			if len(entries) != 22 || manifestRows != before-after || archived != manifestRows || manifestRows == 0 {
				t.Fatalf("%d entries, manifests hold %d rows, %d rows removed, report %d", len(entries), manifestRows, before-after, archived)
			}
			if n := count(t, db, `SELECT count(*) FROM pg_inherits WHERE inhparent = 'ranking_snapshots'::regclass`); n != 26-11 {
				t.Errorf("ranking_snapshots keeps %d partitions; want 15", n)
			}
			// The manifests in the store say the same as the catalog.
			ms, err := ReadManifests(ctx, store, "")
			if err != nil || len(ms) != 22 {
				t.Fatalf("ReadManifests: %d, %v", len(ms), err)
			}
			var e Entry
			for _, x := range entries {
				if x.Partition == "public.ranking_snapshots_2025_03" {
					e = x
				}
			}
			m := e.Manifest
			if m.Table != "public.ranking_snapshots" || !m.From.Equal(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)) ||
				!strings.Contains(m.DDL, "PARTITION OF \"public\".\"ranking_snapshots\" FOR VALUES FROM ('2025-03-01') TO ('2025-04-01')") ||
				len(m.Indexes) == 0 || len(m.Tenants) != 3 || m.PolicyVersion != "seed" || m.ArchivedBy == "" {
				t.Fatalf("manifest %+v", m)
			}
			if m.Columns[0].Name != "tenant_id" || m.Columns[2].Name != "captured_on" || m.Columns[2].Min != "2025-03-01" || m.Columns[2].Nulls != 0 {
				t.Errorf("column stats %+v", m.Columns[:3])
			}
			var tenantSum int64
			for _, tr := range m.Tenants {
				tenantSum += tr.Rows
			}
			if tenantSum != m.Rows {
				t.Errorf("tenant rows sum %d, manifest rows %d", tenantSum, m.Rows)
			}
			if strings.Contains(m.Object, "=") || !strings.HasSuffix(m.Object, ".parquet") {
				t.Errorf("object key %s", m.Object)
			}

			// Find by table, time and tenant.
			found, err := Find(ctx, db, FindOptions{Table: "ranking_snapshots", From: time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC), Tenant: m.Tenants[0].Tenant})
			if err != nil || len(found) != 1 || found[0].ID != e.ID {
				t.Fatalf("Find: %v %+v", err, found)
			}
			if found, _ := Find(ctx, db, FindOptions{Table: "ranking_snapshots", Tenant: "999999"}); len(found) != 0 {
				t.Errorf("Find for an absent tenant: %d entries", len(found))
			}

			// Restore one month into a new table and compare row for row.
			if err := Verify(ctx, db, store, e.ID); err != nil {
				t.Fatal(err)
			}
			n, err := Restore(ctx, db, store, e.ID, Target{Table: "restored_2025_03"})
			if err != nil || n != m.Rows {
				t.Fatalf("Restore: %d rows, %v", n, err)
			}
			sameRows(t, db, "before_2025_03", "restored_2025_03")

			// A second run archives nothing twice.
			rep2, err := run(t, db, store, Options{Tables: tables})
			if err != nil {
				t.Fatal(err)
			}
			if p, _ := rep2.Archived(); p != 0 {
				t.Fatalf("second run archived %d partitions", p)
			}
			if n := count(t, db, `SELECT count(*) FROM lsos_archive.archives`); n != 22 {
				t.Fatalf("%d catalog rows after a second run", n)
			}

			// The catalog can be rebuilt from the store.
			if _, err := db.Exec(ctx, `DROP SCHEMA lsos_archive CASCADE`); err != nil {
				t.Fatal(err)
			}
			k, err := RebuildCatalog(ctx, db, store, "")
			if err != nil || k != 22 {
				t.Fatalf("RebuildCatalog: %d, %v", k, err)
			}
			again, err := List(ctx, db)
			if err != nil || len(again) != 22 {
				t.Fatalf("List after rebuild: %d, %v", len(again), err)
			}
			for i := range again {
				if again[i].ID != entries[i].ID || again[i].SHA256 != entries[i].SHA256 || again[i].Rows != entries[i].Rows || again[i].State != "dropped" {
					t.Fatalf("rebuilt entry %+v; want %+v", again[i], entries[i])
				}
			}
		})
	}
}

// TestCrashAndRerun stops a run after each step, before its completion is recorded, and
// re-runs: the partition ends archived once with every row in the store.
func TestCrashAndRerun(t *testing.T) {
	part := "public.ranking_snapshots_2025_01"
	for _, step := range []Step{StepExport, StepVerify, StepRecord, StepDetach, StepDrop} {
		t.Run(string(step), func(t *testing.T) {
			ctx := context.Background()
			db := sampleDB(t)
			store := fileStore(t)
			if _, err := db.Exec(ctx, `CREATE TABLE copy AS SELECT * FROM ranking_snapshots_2025_01`); err != nil {
				t.Fatal(err)
			}
			before := count(t, db, `SELECT count(*) FROM ranking_snapshots`)
			want := count(t, db, `SELECT count(*) FROM copy`)
			opts := Options{Partitions: []Partition{{Name: part}}, crashAfter: step}
			if _, err := run(t, db, store, opts); !errors.Is(err, ErrCrash) {
				t.Fatalf("crash run: %v", err)
			}
			opts.crashAfter = ""
			rep, err := run(t, db, store, opts)
			if err != nil {
				t.Fatal(err)
			}
			if p, rows := rep.Archived(); p != 1 || rows != want {
				t.Fatalf("re-run archived %d partitions, %d rows; want 1, %d (%+v)", p, rows, want, rep.Partitions)
			}
			if got := count(t, db, `SELECT count(*) FROM ranking_snapshots`); got != before-want {
				t.Fatalf("ranking_snapshots %d rows; want %d", got, before-want)
			}
			if n := count(t, db, `SELECT count(*) FROM lsos_archive.archives`); n != 1 {
				t.Fatalf("%d catalog entries; want 1", n)
			}
			if n := count(t, db, `SELECT count(*) FROM lsos_archive.events WHERE step = 'drop'`); n != 1 {
				t.Fatalf("%d drop events; want 1", n)
			}
			es, _ := List(ctx, db)
			if _, err := Restore(ctx, db, store, es[0].ID, Target{Attach: true}); err != nil {
				t.Fatal(err)
			}
			sameRows(t, db, "copy", "ranking_snapshots_2025_01")
			if got := count(t, db, `SELECT count(*) FROM ranking_snapshots`); got != before {
				t.Fatalf("after re-attaching: %d rows; want %d", got, before)
			}
		})
	}
}

func TestUploadFailureThenRerun(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	store, be, _ := s3Store(t)
	part := Partition{Name: "public.crawl_outputs_2025_02"}
	want := count(t, db, `SELECT count(*) FROM crawl_outputs_2025_02`)
	be.set(true)
	// One attempt: the transient-failure retries have their own test.
	_, err := run(t, db, store, Options{Partitions: []Partition{part}, Store: StoreOptions{Attempts: 1}})
	var se *StepError
	if !errors.As(err, &se) || se.Step != StepExport || !errors.Is(err, ErrStore) {
		t.Fatalf("err %v; want a StepError at export, a store failure", err)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_archive.archives`); n != 0 {
		t.Fatalf("%d catalog entries after a failed upload; want none (no pending entry)", n)
	}
	if n := count(t, db, `SELECT count(*) FROM crawl_outputs_2025_02`); n != want {
		t.Fatalf("partition lost rows after a failed upload: %d of %d", n, want)
	}
	if ms, _ := ReadManifests(ctx, store, ""); len(ms) != 0 {
		t.Fatalf("%d manifests after a failed upload", len(ms))
	}
	be.set(false)
	rep, err := run(t, db, store, Options{Partitions: []Partition{part}})
	if err != nil {
		t.Fatal(err)
	}
	if p, rows := rep.Archived(); p != 1 || rows != want {
		t.Fatalf("archived %d/%d rows %+v", p, rows, rep)
	}
}

func TestTruncatedObjectIsExportedAgain(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	store := fileStore(t)
	part := Partition{Name: "public.ranking_snapshots_2024_12"}
	want := count(t, db, `SELECT count(*) FROM ranking_snapshots_2024_12`)
	if _, err := run(t, db, store, Options{Partitions: []Partition{part}, crashAfter: StepVerify}); !errors.Is(err, ErrCrash) {
		t.Fatal(err)
	}
	es, _ := List(ctx, db)
	b, err := store.ReadAll(ctx, es[0].Object)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.WriteAll(ctx, es[0].Object, b[:len(b)/2], nil); err != nil {
		t.Fatal(err)
	}
	rep, err := run(t, db, store, Options{Partitions: []Partition{part}})
	if err != nil {
		t.Fatal(err)
	}
	if p, rows := rep.Archived(); p != 1 || rows != want {
		t.Fatalf("archived %d/%d rows", p, rows)
	}
	if err := Verify(ctx, db, store, es[0].ID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_archive.events WHERE step = 'verify' AND detail LIKE '%exporting again%'`); n != 1 {
		t.Fatalf("%d re-export events; want 1", n)
	}
	// A corrupted object is reported by Verify and refused by Restore and Open.
	if err := store.WriteAll(ctx, es[0].Object, b[:len(b)-10], nil); err != nil {
		t.Fatal(err)
	}
	if err := Verify(ctx, db, store, es[0].ID); !errors.Is(err, ErrVerify) {
		t.Fatalf("Verify of a truncated object: %v", err)
	}
	if _, err := Restore(ctx, db, store, es[0].ID, Target{Table: "x"}); !errors.Is(err, ErrVerify) {
		t.Fatalf("Restore of a truncated object: %v", err)
	}
	if n := count(t, db, `SELECT count(*) FROM pg_class WHERE relname = 'x'`); n != 0 {
		t.Fatal("a failed restore left its table behind")
	}
}

// TestRowsChangedAfterExport: rows written into the partition after its export stop the
// run before the detach; the next run exports again and loses nothing.
func TestRowsChangedAfterExport(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	store := fileStore(t)
	part := Partition{Name: "public.ranking_snapshots_2024_11"}
	if _, err := run(t, db, store, Options{Partitions: []Partition{part}, crashAfter: StepVerify}); !errors.Is(err, ErrCrash) {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO ranking_snapshots SELECT tenant_id, keyword_id, captured_on + 1, 99, url, serp_features FROM ranking_snapshots_2024_11 WHERE captured_on = '2024-11-01' ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	want := count(t, db, `SELECT count(*) FROM ranking_snapshots_2024_11`)
	_, err := run(t, db, store, Options{Partitions: []Partition{part}})
	if !errors.Is(err, ErrVerify) {
		t.Fatalf("err %v; want ErrVerify", err)
	}
	if n := count(t, db, `SELECT count(*) FROM pg_inherits WHERE inhrelid = 'ranking_snapshots_2024_11'::regclass`); n != 1 {
		t.Fatal("the partition was detached although verification failed")
	}
	rep, err := run(t, db, store, Options{Partitions: []Partition{part}})
	if err != nil {
		t.Fatal(err)
	}
	if p, rows := rep.Archived(); p != 1 || rows != want {
		t.Fatalf("archived %d partitions, %d rows; want 1, %d", p, rows, want)
	}
}

func TestTwoWorkersArchiveEachPartitionOnce(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t, "archive-lsos", sampleSetup)
	store := fileStore(t)
	pools := make([]*pgxpool.Pool, 2)
	for i := range pools {
		p, err := pgxpool.New(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		pools[i] = p
	}
	before := snapshotRows(t, pools[0])
	var wg sync.WaitGroup
	reps := make([]*Report, 2)
	errs := make([]error, 2)
	for i := range pools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = Run(ctx, pools[i], store, governance.Default(), Options{
				Tables: []string{"ranking_snapshots", "crawl_outputs"}, Now: func() time.Time { return fixedNow },
			})
		}()
	}
	wg.Wait()
	var parts int
	var rows int64
	for i := range reps {
		if errs[i] != nil {
			t.Fatalf("worker %d: %v", i, errs[i])
		}
		p, r := reps[i].Archived()
		parts, rows = parts+p, rows+r
	}
	if parts != 22 || rows != before-snapshotRows(t, pools[0]) {
		t.Fatalf("workers archived %d partitions and %d rows together; want 22 and %d", parts, rows, before-snapshotRows(t, pools[0]))
	}
	if n := count(t, pools[0], `SELECT count(*) FROM lsos_archive.events WHERE step = 'export'`); n != 22 {
		t.Fatalf("%d exports for 22 partitions", n)
	}
}

func TestLegalHoldBlocksDrop(t *testing.T) {
	db := sampleDB(t)
	store := fileStore(t)
	part := Partition{Name: "public.ranking_snapshots_2025_05"}
	held := func(context.Context, DB, string, []string, time.Time) ([]string, error) { return []string{"7"}, nil }
	rep, err := run(t, db, store, Options{Partitions: []Partition{part}, Holds: held})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Partitions[0]; !strings.Contains(r.Skipped, "legal hold [7]") || r.State != "detached" {
		t.Fatalf("result %+v", r)
	}
	if n := count(t, db, `SELECT count(*) FROM ranking_snapshots_2025_05`); n == 0 {
		t.Fatal("held partition lost its rows")
	}
	released := func(context.Context, DB, string, []string, time.Time) ([]string, error) { return nil, nil }
	rep, err = run(t, db, store, Options{Partitions: []Partition{part}, Holds: released, KeepDetached: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Partitions[0]; r.State != "kept" {
		t.Fatalf("result %+v", r)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_archive_detached.ranking_snapshots_2025_05`); n != rep.Partitions[0].Rows {
		t.Fatalf("kept table has %d rows; want %d", n, rep.Partitions[0].Rows)
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	store := fileStore(t)
	if _, err := run(t, db, store, Options{}); err == nil || !strings.Contains(err.Error(), "Options.Tables") {
		t.Fatalf("no tables: %v", err)
	}
	if _, err := run(t, db, store, Options{Tables: []string{"users"}}); err == nil || !strings.Contains(err.Error(), "retention rule") {
		t.Fatalf("table without a rule: %v", err)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := run(t, tx, store, Options{Tables: []string{"ranking_snapshots"}}); !errors.Is(err, ErrInTransaction) {
		t.Fatalf("in a transaction: %v", err)
	}
	if _, err := Get(ctx, db, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get: %v", err)
	}
}
