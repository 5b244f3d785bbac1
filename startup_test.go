package lsosgov

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov/classify"
	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/integrity"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/migrate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var startupNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return startupNow }

// applied returns the versions recorded as applied in the revisions table.
func applied(t testing.TB, db *pgxpool.Pool) []string {
	t.Helper()
	dir, err := migrate.LoadFS(lsos.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.NewMigrator(db, dir, migrate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range st {
		if s.State == migrate.StateApplied {
			out = append(out, s.Version)
		}
	}
	return out
}

func TestStartupAppliesTheSampleMigrationsThenIsANoop(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	cfg := StartupConfig{FS: lsos.Migrations(), Apply: true, Now: clock}

	rep, err := Startup(ctx, db, cfg)
	if err != nil {
		t.Fatalf("first Startup: %v", err)
	}
	want := lsos.Versions()
	var got []string
	for _, r := range rep.Applied {
		got = append(got, r.Version)
	}
	if !slices.Equal(got, want) || rep.Versions != len(want) {
		t.Fatalf("applied %v of %d versions, want %v", got, rep.Versions, want)
	}
	if a := applied(t, db); !slices.Equal(a, want) {
		t.Fatalf("revisions table holds %v, want %v", a, want)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY($1)`, lsos.Tables).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no sample table exists after Startup")
	}

	rep, err = Startup(ctx, db, cfg)
	if err != nil {
		t.Fatalf("second Startup: %v", err)
	}
	if len(rep.Applied) != 0 || len(rep.Checks) != 0 || rep.Columns != 0 {
		t.Fatalf("second Startup did work: applied %v, checks %v, columns %d", rep.Applied, rep.Checks, rep.Columns)
	}
	if _, ok := rep.Phases[PhaseChecks]; ok {
		t.Error("no checks were selected, yet the checks phase ran")
	}

	// With applying off and nothing pending, Startup passes too.
	cfg.Apply = false
	if rep, err := Startup(ctx, db, cfg); err != nil || len(rep.Pending) != 0 {
		t.Fatalf("apply off, nothing pending: pending %v, err %v", rep.Pending, err)
	}
}

func TestStartupWithApplyOffFailsListingPendingVersions(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	versions := lsos.Versions()
	dir, err := migrate.LoadFS(lsos.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.NewMigrator(db, dir, migrate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.UpTo(ctx, versions[2]); err != nil {
		t.Fatal(err)
	}

	rep, err := Startup(ctx, db, StartupConfig{Dir: dir, Apply: false, Now: clock})
	var se *StartupError
	if !errors.As(err, &se) || se.Phase != PhasePending || !errors.Is(err, ErrPending) {
		t.Fatalf("want a pending-phase StartupError, got %v", err)
	}
	if !slices.Equal(se.Pending, versions[3:]) || !slices.Equal(rep.Pending, versions[3:]) {
		t.Fatalf("pending %v (report %v), want %v", se.Pending, rep.Pending, versions[3:])
	}
	for _, v := range versions[3:] {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error does not name pending version %s: %v", v, err)
		}
	}
	if a := applied(t, db); !slices.Equal(a, versions[:3]) {
		t.Fatalf("apply-off Startup changed the database: applied %v", a)
	}
}

func TestStartupConcurrentCallersApplyEachVersionOnce(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	dir, err := migrate.LoadFS(lsos.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	const callers = 10
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		count   = map[string]int{}
		failure []error
	)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := Startup(ctx, db, StartupConfig{Dir: dir, Apply: true, Now: clock})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failure = append(failure, err)
				return
			}
			for _, r := range rep.Applied {
				count[r.Version]++
			}
		}()
	}
	wg.Wait()
	if len(failure) > 0 {
		t.Fatalf("%d callers failed: %v", len(failure), errors.Join(failure...))
	}
	for _, v := range lsos.Versions() {
		if count[v] != 1 {
			t.Errorf("version %s applied %d times by the callers, want exactly 1", v, count[v])
		}
	}
	if a := applied(t, db); !slices.Equal(a, lsos.Versions()) {
		t.Fatalf("revisions table holds %v", a)
	}
	var logged int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM lsos_migrate.revisions`).Scan(&logged); err != nil {
		t.Fatal(err)
	}
	if logged != len(lsos.Versions()) {
		t.Fatalf("%d revision rows, want %d", logged, len(lsos.Versions()))
	}
}

func TestStartupFatalCheckFindingFailsWithTheFinding(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	cfg := StartupConfig{FS: lsos.Migrations(), Apply: true, Now: clock}
	if _, err := Startup(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}

	// Freshly migrated, the snapshot tables have no partition for this month: inserts
	// would fail, and the missing-partition check (error severity) stops startup.
	cfg.Checks = integrity.SchemaChecks()
	_, err := Startup(ctx, db, cfg)
	var se *StartupError
	if !errors.As(err, &se) || se.Phase != PhaseChecks || !errors.Is(err, ErrFindings) {
		t.Fatalf("want a checks-phase StartupError, got %v", err)
	}
	mp := se.Findings.ByCheck(governance.CheckMissingPartition)
	if len(mp) != len(se.Findings) || !strings.Contains(err.Error(), "public.ranking_snapshots") || !strings.Contains(err.Error(), "public.crawl_outputs") {
		t.Fatalf("want missing-partition findings on both snapshot tables in the error, got %v", err)
	}

	if err := lsos.EnsurePartitions(ctx, db, startupNow.AddDate(0, -1, 0), startupNow.AddDate(0, 2, 0)); err != nil {
		t.Fatal(err)
	}
	rep, err := Startup(ctx, db, cfg)
	if err != nil {
		t.Fatalf("the sample schema with its partitions must pass: %v", err)
	}
	if len(rep.Checks) != len(integrity.SchemaChecks()) || len(rep.Findings) != 0 {
		t.Fatalf("checks %v, findings %v", rep.Checks, rep.Findings)
	}

	// Planted defect: the critical relationship keywords → campaigns loses its FK.
	if _, err := db.Exec(ctx, `ALTER TABLE keywords DROP CONSTRAINT keywords_tenant_id_campaign_id_fkey`); err != nil {
		t.Fatal(err)
	}
	rep, err = Startup(ctx, db, cfg)
	if !errors.As(err, &se) || se.Phase != PhaseChecks {
		t.Fatalf("want a checks-phase StartupError, got %v", err)
	}
	if !slices.ContainsFunc(se.Findings, func(f governance.Finding) bool {
		return f.Check == governance.CheckMissingFK && f.Object == "public.keywords.campaign_id"
	}) || !strings.Contains(err.Error(), "missing-fk") || !strings.Contains(err.Error(), "public.keywords.campaign_id") {
		t.Fatalf("error lacks the missing-fk finding: %v", err)
	}
	if len(rep.Fatal) == 0 {
		t.Error("report lists no fatal finding")
	}

	// Only after an apply: nothing is pending, so the checks are not run and the defect
	// goes unnoticed, by choice.
	cfg.ChecksOnlyAfterApply = true
	if rep, err := Startup(ctx, db, cfg); err != nil || len(rep.Checks) != 0 {
		t.Fatalf("ChecksOnlyAfterApply with nothing pending: checks %v, err %v", rep.Checks, err)
	}
}

func TestStartupFatalSeverityThreshold(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	cfg := StartupConfig{FS: lsos.Migrations(), Apply: true, Now: clock}
	if _, err := Startup(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	// A warning-severity defect: an FK without a supporting index.
	if _, err := db.Exec(ctx, `DROP INDEX reviews_tenant_location_idx`); err != nil {
		t.Fatal(err)
	}
	cfg.Checks = []integrity.Check{integrity.FKMissingIndex{}}
	rep, err := Startup(ctx, db, cfg)
	if err != nil {
		t.Fatalf("a warning is not fatal by default: %v", err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Severity != governance.SeverityWarning || len(rep.Fatal) != 0 {
		t.Fatalf("want one reported, non-fatal warning, got findings %v fatal %v", rep.Findings, rep.Fatal)
	}
	cfg.FatalSeverity = governance.SeverityWarning
	_, err = Startup(ctx, db, cfg)
	var se *StartupError
	if !errors.As(err, &se) || len(se.Findings.ByCheck(governance.CheckFKMissingIndex)) != 1 {
		t.Fatalf("with FatalSeverity warning: want the fk-missing-index finding, got %v", err)
	}
}

func TestStartupClassificationGate(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	cfg := StartupConfig{FS: lsos.Migrations(), Apply: true, Now: clock,
		Classification: ClassGate{Unclassified: true, SensitiveUnannotated: true}}
	// The sample schema classifies every column, but its sensitive columns are sensitive
	// by name rules only: the gate wants them declared.
	_, err := Startup(ctx, db, cfg)
	var se *StartupError
	if !errors.As(err, &se) || se.Phase != PhaseClassify || !strings.Contains(err.Error(), "public.users.email: sensitive by rule") {
		t.Fatalf("want the undeclared public.users.email in a classify-phase error, got %v", err)
	}
	for _, f := range se.Findings {
		if strings.HasPrefix(f.Object, "lsos_") {
			t.Errorf("gate reports the module's own bookkeeping: %s", f)
		}
	}
	// Writing the classes into the column comments settles them.
	cat, err := classify.Classify(ctx, db, governance.Default(), classify.Options{NoSampling: true, Schemas: []string{"public"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := classify.Annotate(ctx, db, cat); err != nil {
		t.Fatal(err)
	}
	rep, err := Startup(ctx, db, cfg)
	if err != nil {
		t.Fatalf("the annotated sample schema must pass the gate: %v", err)
	}
	if rep.Columns == 0 {
		t.Fatal("the gate classified no column")
	}

	if _, err := db.Exec(ctx, `CREATE TABLE widgets (label text);
		ALTER TABLE tenants ADD COLUMN billing_email text`); err != nil {
		t.Fatal(err)
	}
	_, err = Startup(ctx, db, cfg)
	if !errors.As(err, &se) || se.Phase != PhaseClassify || !errors.Is(err, ErrFindings) {
		t.Fatalf("want a classify-phase StartupError, got %v", err)
	}
	var objs []string
	for _, f := range se.Findings {
		objs = append(objs, f.Object)
	}
	slices.Sort(objs)
	if !slices.Equal(objs, []string{"public.tenants.billing_email", "public.widgets.label"}) {
		t.Fatalf("gate findings on %v, want the new e-mail column and the unclassified label", objs)
	}

	// Declaring the classes settles both.
	if _, err := db.Exec(ctx, `COMMENT ON COLUMN tenants.billing_email IS 'lsos:class=sensitive';
		COMMENT ON COLUMN widgets.label IS 'lsos:class=operational'`); err != nil {
		t.Fatal(err)
	}
	if _, err := Startup(ctx, db, cfg); err != nil {
		t.Fatalf("after annotating: %v", err)
	}
}

func TestStartupRejectsBadConfig(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	for name, cfg := range map[string]StartupConfig{
		"no directory":  {},
		"both":          {FS: lsos.Migrations(), Dir: &migrate.Dir{}},
		"data check":    {FS: lsos.Migrations(), Checks: []integrity.Check{integrity.OrphanedRows{}}},
		"negative wait": {FS: lsos.Migrations(), LockWait: -time.Second},
		"severity":      {FS: lsos.Migrations(), FatalSeverity: 7},
	} {
		_, err := Startup(ctx, db, cfg)
		var se *StartupError
		if !errors.As(err, &se) || se.Phase != PhaseConfig || !errors.Is(err, ErrConfig) {
			t.Errorf("%s: want a config-phase StartupError, got %v", name, err)
		}
	}
}

// copyDir writes the sample migrations to a temp dir so a test can edit them.
func copyDir(t testing.TB) string {
	t.Helper()
	dst := t.TempDir()
	err := fs.WalkDir(lsos.Migrations(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(lsos.Migrations(), p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, p), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestStartupDetectsEditedFiles(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	if _, err := Startup(ctx, db, StartupConfig{FS: lsos.Migrations(), Apply: true, Now: clock}); err != nil {
		t.Fatal(err)
	}
	path := copyDir(t)
	first := filepath.Join(path, lsos.Versions()[0]+"_tenants_users.up.sql")
	b, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(first, append(b, []byte("\n-- edited after it was applied\n")...), 0o644); err != nil {
		t.Fatal(err)
	}

	// Edited without rehashing: the directory itself is refused.
	_, err = Startup(ctx, db, StartupConfig{FS: os.DirFS(path), Apply: true, Now: clock})
	var se *StartupError
	if !errors.As(err, &se) || se.Phase != PhaseDirectory || !errors.Is(err, migrate.ErrChecksumMismatch) {
		t.Fatalf("want a directory-phase checksum mismatch, got %v", err)
	}

	// Rehashed: atlas.sum agrees, but the applied history does not.
	if err := migrate.Hash(path); err != nil {
		t.Fatal(err)
	}
	for _, apply := range []bool{true, false} {
		_, err = Startup(ctx, db, StartupConfig{FS: os.DirFS(path), Apply: apply, Now: clock})
		var he *migrate.HistoryError
		if !errors.As(err, &se) || se.Phase != PhaseHistory || !errors.As(err, &he) {
			t.Fatalf("apply=%v: want a history-phase HistoryError, got %v", apply, err)
		}
	}
}

// benchDir writes a directory of n trivial versions.
func benchDir(b *testing.B, n int) *migrate.Dir {
	b.Helper()
	path := b.TempDir()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		v := base.Add(time.Duration(i) * time.Minute).Format(migrate.VersionLayout)
		up := fmt.Sprintf("CREATE TABLE bench_%03d (id bigint PRIMARY KEY, note text);\n", i)
		down := fmt.Sprintf("DROP TABLE bench_%03d;\n", i)
		if err := os.WriteFile(filepath.Join(path, fmt.Sprintf("%s_t%03d.up.sql", v, i)), []byte(up), 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(path, fmt.Sprintf("%s_t%03d.down.sql", v, i)), []byte(down), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if err := migrate.Hash(path); err != nil {
		b.Fatal(err)
	}
	dir, err := migrate.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkStartupNoop measures Startup with 200 applied versions and nothing pending:
// with a preloaded *migrate.Dir, with the directory loaded from an fs.FS on each call
// (what a service does once per process), and 10 callers at once.
func BenchmarkStartupNoop(b *testing.B) {
	ctx := context.Background()
	dir := benchDir(b, 200)
	db := pgtest.DB(b, "", nil)
	if rep, err := Startup(ctx, db, StartupConfig{Dir: dir, Apply: true}); err != nil || len(rep.Applied) != 200 {
		b.Fatalf("setup: applied %d, err %v", len(rep.Applied), err)
	}
	b.Run("dir", func(b *testing.B) {
		for b.Loop() {
			if rep, err := Startup(ctx, db, StartupConfig{Dir: dir, Apply: true}); err != nil || len(rep.Applied) != 0 {
				b.Fatal(err)
			}
		}
	})
	b.Run("apply-off", func(b *testing.B) {
		for b.Loop() {
			if _, err := Startup(ctx, db, StartupConfig{Dir: dir}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fs", func(b *testing.B) {
		fsys := dir.FS()
		for b.Loop() {
			if _, err := Startup(ctx, db, StartupConfig{FS: fsys, Apply: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("10-concurrent", func(b *testing.B) {
		// Each iteration is 10 callers starting at once; ns/call is the wall time per
		// batch divided by 10.
		for b.Loop() {
			var wg sync.WaitGroup
			errs := make([]error, 10)
			for i := range 10 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = Startup(ctx, db, StartupConfig{Dir: dir, Apply: true})
				}()
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10, "ns/call")
	})
}

func TestStartupLockWaitIsBounded(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	path := t.TempDir()
	for name, sql := range map[string]string{
		"20260101000000_slow.up.sql":   "CREATE TABLE slow (id bigint PRIMARY KEY);\nSELECT pg_sleep(3);\n",
		"20260101000000_slow.down.sql": "DROP TABLE slow;\n",
	} {
		if err := os.WriteFile(filepath.Join(path, name), []byte(sql), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrate.Hash(path); err != nil {
		t.Fatal(err)
	}
	dir, err := migrate.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// One replica holds the lock for three seconds while it applies the slow version.
	first := make(chan error, 1)
	go func() {
		_, err := Startup(ctx, db, StartupConfig{Dir: dir, Apply: true})
		first <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first caller never took the migration lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Another replica waits at most LockWait, then fails in the migrate phase.
	_, err = Startup(ctx, db, StartupConfig{Dir: dir, Apply: true, LockWait: 200 * time.Millisecond})
	var se *StartupError
	if !errors.As(err, &se) || se.Phase != PhaseMigrate || !errors.Is(err, migrate.ErrLockTimeout) {
		t.Fatalf("want a migrate-phase lock timeout, got %v", err)
	}
	if err := <-first; err != nil {
		t.Fatalf("the lock holder failed: %v", err)
	}
}

// driftDBs counts the throwaway databases of the drift check left on the server.
func driftDBs(t *testing.T, db *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM pg_database WHERE datname LIKE 'lsosgov\_drift\_%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStartupFailOnDrift(t *testing.T) {
	ctx := context.Background()
	srv, err := pgtest.Shared()
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.DB(t, "", nil)
	cfg := StartupConfig{FS: lsos.Migrations(), Apply: true, Now: clock, FailOnDrift: true, DriftDevURL: srv.URL}

	// Freshly migrated: the live schema is what the versions produce.
	rep, err := Startup(ctx, db, cfg)
	if err != nil {
		t.Fatalf("no drift expected: %v", err)
	}
	if !rep.DriftChecked || len(rep.Drift) != 0 || rep.Phases[PhaseDrift] == 0 {
		t.Fatalf("drift check: checked=%v drift=%v phases=%v", rep.DriftChecked, rep.Drift, rep.Phases)
	}

	// Partition maintenance adds monthly partitions at run time: not drift by default.
	if err := lsos.EnsurePartitions(ctx, db, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if rep, err = Startup(ctx, db, cfg); err != nil || len(rep.Drift) != 0 {
		t.Fatalf("run-time partitions are not drift by default: %v %v", err, rep.Drift)
	}
	withParts := cfg
	withParts.DriftPartitions = true
	rep, err = Startup(ctx, db, withParts)
	if !errors.Is(err, ErrDrift) || !slices.ContainsFunc(rep.Drift, func(d migrate.Difference) bool {
		return d.Kind == "partition" && d.Object == "public.ranking_snapshots_2026_03" && d.Change == "extra"
	}) {
		t.Fatalf("with DriftPartitions the partitions are differences: %v %v", err, rep.Drift)
	}

	// A hand-made hotfix in "production".
	if _, err := db.Exec(ctx, `ALTER TABLE reviews ADD COLUMN hotfix int; CREATE INDEX reviews_rating_hotfix ON reviews (rating)`); err != nil {
		t.Fatal(err)
	}
	rep, err = Startup(ctx, db, cfg)
	var se *StartupError
	if !errors.Is(err, ErrDrift) || !errors.As(err, &se) || se.Phase != PhaseDrift {
		t.Fatalf("want a drift-phase StartupError wrapping ErrDrift, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"changed table public.reviews", "hotfix", "extra index public.reviews_rating_hotfix", "govctl migrate plan"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error must mention %q:\n%s", want, msg)
		}
	}
	var kinds []string
	for _, d := range rep.Drift {
		kinds = append(kinds, d.Change+" "+d.Kind+" "+d.Object)
	}
	slices.Sort(kinds)
	if want := []string{"changed table public.reviews", "extra index public.reviews_rating_hotfix"}; !slices.Equal(kinds, want) {
		t.Errorf("report drift = %v, want %v", kinds, want)
	}
	if len(se.Drift) != len(rep.Drift) {
		t.Errorf("the error carries %d differences, the report %d", len(se.Drift), len(rep.Drift))
	}

	// Off (the default): the same hotfix does not stop the service, and no schema is read.
	cfg.FailOnDrift = false
	rep, err = Startup(ctx, db, cfg)
	if err != nil {
		t.Fatalf("with FailOnDrift off Startup must pass: %v", err)
	}
	if rep.DriftChecked || rep.Drift != nil {
		t.Errorf("with FailOnDrift off no drift check may run: %+v", rep)
	}
	if _, ok := rep.Phases[PhaseDrift]; ok {
		t.Errorf("with FailOnDrift off there is no drift phase: %v", rep.Phases)
	}
	if n := driftDBs(t, db); n != 0 {
		t.Errorf("%d throwaway drift databases left behind", n)
	}
}

func TestStartupFailOnDriftConfig(t *testing.T) {
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	for name, cfg := range map[string]StartupConfig{
		"no dev url":  {FS: lsos.Migrations(), FailOnDrift: true},
		"bad dev url": {FS: lsos.Migrations(), FailOnDrift: true, DriftDevURL: "postgres://%zz"},
		"negative":    {FS: lsos.Migrations(), FailOnDrift: true, DriftDevURL: "postgres://localhost/x", DriftTimeout: -time.Second},
	} {
		_, err := Startup(ctx, db, cfg)
		var se *StartupError
		if !errors.As(err, &se) || se.Phase != PhaseConfig || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "Drift") {
			t.Errorf("%s: want a config-phase StartupError naming the drift option, got %v", name, err)
		}
	}
	// A dev server that refuses: the drift phase fails and says why; nothing is fatal before.
	srv, err := pgtest.Shared()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Startup(ctx, db, StartupConfig{FS: lsos.Migrations(), Apply: true, Now: clock, FailOnDrift: true,
		DriftDevURL: srv.DatabaseURL("no_such_database_for_drift")})
	var se *StartupError
	if !errors.As(err, &se) || se.Phase != PhaseDrift || errors.Is(err, ErrDrift) || !strings.Contains(err.Error(), "DriftDevURL") {
		t.Fatalf("an unreachable dev database must fail the drift phase naming DriftDevURL, got %v", err)
	}
}
