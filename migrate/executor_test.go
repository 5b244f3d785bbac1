package migrate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// counted returns n versions that each create a table t<i> and insert one row into
// runs, so a test can count how often each version's DDL ran.
func counted(n int) map[string]string {
	files := map[string]string{}
	for i := 1; i <= n; i++ {
		v := fmt.Sprintf("202601%02d000000", i)
		up := fmt.Sprintf("CREATE TABLE t%d (id int);\nINSERT INTO runs VALUES ('%s');\n", i, v)
		if i == 1 {
			up = "CREATE TABLE runs (version text NOT NULL);\n" + up
		}
		down := fmt.Sprintf("DROP TABLE t%d;\nDELETE FROM runs WHERE version = '%s';\n", i, v)
		if i == 1 {
			down = "DROP TABLE t1;\nDROP TABLE runs;\n"
		}
		files[v+fmt.Sprintf("_v%d.up.sql", i)] = up
		files[v+fmt.Sprintf("_v%d.down.sql", i)] = down
	}
	return files
}

func loadMap(t testing.TB, files map[string]string) *Dir {
	t.Helper()
	d, err := LoadFS(fstestFS(files, true))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func migrator(t testing.TB, db DB, d *Dir, cfg Config) *Migrator {
	t.Helper()
	m, err := NewMigrator(db, d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func count(t testing.TB, db DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func exists(t testing.TB, db DB, rel string) bool {
	t.Helper()
	var ok bool
	if err := db.QueryRow(context.Background(), `SELECT to_regclass($1) IS NOT NULL`, rel).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// assertOnce checks that every version ran its DDL exactly once and has one row.
func assertOnce(t *testing.T, db DB, n int) {
	t.Helper()
	if got := count(t, db, `SELECT count(*) FROM runs`); got != n {
		t.Errorf("runs rows: got %d, want %d", got, n)
	}
	if got := count(t, db, `SELECT count(DISTINCT version) FROM runs`); got != n {
		t.Errorf("distinct versions run: got %d, want %d", got, n)
	}
	if got := count(t, db, `SELECT count(*) FROM lsos_migrate.revisions WHERE state = 'applied'`); got != n {
		t.Errorf("revision rows: got %d, want %d", got, n)
	}
	if got := count(t, db, `SELECT count(*) FROM lsos_migrate.revision_log WHERE action = 'apply'`); got != n {
		t.Errorf("apply log rows: got %d, want %d", got, n)
	}
}

func TestSampleUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	d, err := LoadFS(lsos.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	var events []Event
	m := migrator(t, db, d, Config{Progress: func(e Event) { events = append(events, e) }})
	res, err := m.Up(ctx)
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	if len(res) != len(d.Versions) {
		t.Fatalf("applied %d, want %d", len(res), len(d.Versions))
	}
	for _, tbl := range lsos.Tables {
		if !exists(t, db, "public."+tbl) {
			t.Errorf("table %s missing after Up", tbl)
		}
	}
	if !exists(t, db, "public.reviews_tenant_published_idx") {
		t.Error("concurrent index missing")
	}
	var kind, by, app string
	if err := db.QueryRow(ctx, `SELECT kind, applied_by, application_name FROM lsos_migrate.revisions WHERE version = '20260106000000'`).Scan(&kind, &by, &app); err != nil {
		t.Fatal(err)
	}
	if kind != "no-transaction" || by == "" {
		t.Errorf("no-transaction revision: kind %q by %q", kind, by)
	}
	if count(t, db, `SELECT count(*) FROM lsos_migrate.revisions WHERE kind = 'transactional' AND state = 'applied' AND checksum <> ''`) != len(d.Versions)-1 {
		t.Error("transactional revisions not recorded")
	}
	if len(events) == 0 || events[0].Kind != EventStart {
		t.Errorf("progress events: %+v", events)
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.State != StateApplied || s.AppliedAt == nil || s.Problem != "" {
			t.Errorf("status %+v", s)
		}
	}
	if res, err := m.Up(ctx); err != nil || len(res) != 0 {
		t.Fatalf("second Up: %v %v", res, err)
	}
	if err := m.Verify(ctx); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	down, err := m.Down(ctx, "0")
	if err != nil {
		t.Fatalf("Down: %v", err)
	}
	if len(down) != len(d.Versions) || down[0].Version != "20260106000000" {
		t.Fatalf("down results: %+v", down)
	}
	for _, tbl := range lsos.Tables {
		if exists(t, db, "public."+tbl) {
			t.Errorf("table %s still there after Down", tbl)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_migrate.revisions`); n != 0 {
		t.Errorf("%d revisions left after Down", n)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatalf("Up after Down: %v", err)
	}
	if err := lsos.LoadSample(ctx, db, lsos.SampleOptions{Now: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatalf("sample data on the migrated schema: %v", err)
	}
}

func TestFailingStatementLeavesNoTrace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	files := counted(1)
	files["20260102000000_bad.up.sql"] = "CREATE TABLE half (id int);\nINSERT INTO half VALUES (1);\nINSERT INTO runs VALUES ('bad');\nSELECT 1/0;\nCREATE TABLE never (id int);\n"
	files["20260102000000_bad.down.sql"] = "DROP TABLE half;\n"
	d := loadMap(t, files)
	m := migrator(t, db, d, Config{})
	res, err := m.Up(ctx)
	var pe *PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("Up: got %v, want a *PartialError", err)
	}
	var se *StatementError
	if !errors.As(err, &se) || se.Index != 3 || se.Line != 4 || se.File != "20260102000000_bad.up.sql" {
		t.Fatalf("statement error: %+v", se)
	}
	if len(res) != 1 || len(pe.Applied) != 1 || pe.Failed.Version != "20260102000000" {
		t.Fatalf("results %+v, partial %+v", res, pe)
	}
	if !strings.Contains(err.Error(), "division by zero") {
		t.Errorf("error %q lacks the cause", err)
	}
	if exists(t, db, "public.half") || exists(t, db, "public.never") {
		t.Error("the failed file left a table behind")
	}
	if n := count(t, db, `SELECT count(*) FROM runs WHERE version = 'bad'`); n != 0 {
		t.Error("the failed file left a row behind")
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_migrate.revisions WHERE version = '20260102000000'`); n != 0 {
		t.Error("the failed file left a revision row")
	}
	// Nothing is dirty: fixing the file and re-running just works.
	files["20260102000000_bad.up.sql"] = "CREATE TABLE half (id int);\n"
	if _, err := migrator(t, db, loadMap(t, files), Config{}).Up(ctx); err != nil {
		t.Fatalf("Up after fixing the file: %v", err)
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t, "", nil)
	d := loadMap(t, counted(6))
	var wg sync.WaitGroup
	var applied atomic.Int64
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool, err := pgxpool.New(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer pool.Close()
			m, err := NewMigrator(pool, d, Config{})
			if err != nil {
				errs <- err
				return
			}
			res, err := m.Up(ctx)
			applied.Add(int64(len(res)))
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Up: %v", err)
	}
	if applied.Load() != 6 {
		t.Errorf("versions applied across goroutines: %d, want 6", applied.Load())
	}
	assertOnce(t, poolFor(t, url), 6)
}

func poolFor(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func helperCmd(ctx context.Context, url, dir string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), envHelperURL+"="+url, envHelperDir+"="+dir)
	return cmd
}

func TestConcurrentProcesses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t, "", nil)
	dir := writeDir(t, counted(6))
	var wg sync.WaitGroup
	outs := make([]string, 4)
	errs := make([]error, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := helperCmd(ctx, url, dir).CombinedOutput()
			outs[i], errs[i] = string(out), err
		}()
	}
	wg.Wait()
	total := 0
	for i := range 4 {
		if errs[i] != nil {
			t.Errorf("process %d: %v\n%s", i, errs[i], outs[i])
			continue
		}
		var n int
		at := strings.Index(outs[i], "applied ")
		if at < 0 {
			t.Errorf("process %d output %q", i, outs[i])
			continue
		}
		fmt.Sscanf(outs[i][at:], "applied %d", &n)
		total += n
	}
	if total != 6 {
		t.Errorf("versions applied across processes: %d, want 6", total)
	}
	assertOnce(t, poolFor(t, url), 6)
}

func TestSIGKILLDuringTransactionalMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t, "", nil)
	db := poolFor(t, url)
	files := counted(1)
	files["20260102000000_slow.up.sql"] = "CREATE TABLE partial (id int);\nINSERT INTO partial VALUES (1);\nSELECT pg_sleep(2);\n"
	files["20260102000000_slow.down.sql"] = "DROP TABLE partial;\n"
	dir := writeDir(t, files)
	d, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The first version is applied beforehand so the child goes straight to the slow one.
	if _, err := migrator(t, db, d, Config{}).UpTo(ctx, "20260101000000"); err != nil {
		t.Fatal(err)
	}
	cmd := helperCmd(ctx, url, dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for count(t, db, `SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(2)%' AND state = 'active'`) == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child never reached the slow statement")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if exists(t, db, "public.partial") {
		t.Fatal("partial table visible after the kill")
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_migrate.revisions WHERE version = '20260102000000'`); n != 0 {
		t.Fatalf("revision row for the killed version: %d", n)
	}
	// Re-run: waits for the dead session's lock to go, then applies the version once.
	res, err := migrator(t, db, d, Config{LockWait: 30 * time.Second}).Up(ctx)
	if err != nil || len(res) != 1 {
		t.Fatalf("re-run: %v %v", res, err)
	}
	if n := count(t, db, `SELECT count(*) FROM partial`); n != 1 {
		t.Errorf("partial rows: %d, want 1", n)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_migrate.revisions`); n != 2 {
		t.Errorf("revisions: %d, want 2", n)
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			if v == "" {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
	}
	return out
}

func TestHistoryChecksRefuse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base := counted(2)
	setup := func(t *testing.T) *pgxpool.Pool {
		db := pgtest.DB(t, "", nil)
		if _, err := migrator(t, db, loadMap(t, base), Config{}).Up(ctx); err != nil {
			t.Fatal(err)
		}
		return db
	}
	v3 := map[string]string{
		"20260103000000_v3.up.sql":   "CREATE TABLE t3 (id int);\n",
		"20260103000000_v3.down.sql": "DROP TABLE t3;\n",
	}
	cases := []struct {
		name, kind string
		files      map[string]string
	}{
		{"tampered", "changed", merge(base, v3, map[string]string{"20260102000000_v2.up.sql": "CREATE TABLE t2 (id bigint);\nINSERT INTO runs VALUES ('x');\n"})},
		{"deleted", "missing", merge(base, v3, map[string]string{"20260102000000_v2.up.sql": "", "20260102000000_v2.down.sql": ""})},
		{"out of order", "out-of-order", merge(base, v3, map[string]string{
			"20260101120000_late.up.sql": "CREATE TABLE late (id int);\n", "20260101120000_late.down.sql": "DROP TABLE late;\n"})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := setup(t)
			m := migrator(t, db, loadMap(t, c.files), Config{})
			res, err := m.Up(ctx)
			var he *HistoryError
			if !errors.As(err, &he) || !errors.Is(err, ErrHistory) || len(res) != 0 {
				t.Fatalf("Up: %v %v, want a *HistoryError", res, err)
			}
			if he.Problems[0].Kind != c.kind || !strings.Contains(err.Error(), c.kind) {
				t.Errorf("problem %+v, want kind %s", he.Problems, c.kind)
			}
			if exists(t, db, "public.t3") || exists(t, db, "public.late") {
				t.Error("something ran despite the refusal")
			}
			if err := m.Verify(ctx); !errors.As(err, &he) {
				t.Errorf("Verify: %v", err)
			}
			st, err := m.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, s := range st {
				found = found || s.Problem == c.kind
			}
			if !found {
				t.Errorf("Status does not show the %s problem: %+v", c.kind, st)
			}
		})
	}
	t.Run("out of order allowed", func(t *testing.T) {
		db := setup(t)
		m := migrator(t, db, loadMap(t, cases[2].files), Config{AllowOutOfOrder: true})
		res, err := m.Up(ctx)
		if err != nil || len(res) != 2 || res[0].Version != "20260101120000" {
			t.Fatalf("Up: %+v %v", res, err)
		}
	})
}

func TestNoTransactionFailureIsDirty(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	files := map[string]string{
		"20260101000000_t.up.sql":       "CREATE TABLE t (a int, b int);\nINSERT INTO t VALUES (1, 1), (2, 1);\n",
		"20260101000000_t.down.sql":     "DROP TABLE t;\n",
		"20260102000000_idx.up.sql":     "-- lsos:no-transaction\nCREATE INDEX CONCURRENTLY t_a_idx ON t (a);\nCREATE UNIQUE INDEX CONCURRENTLY t_b_key ON t (b);\n",
		"20260102000000_idx.down.sql":   "-- lsos:no-transaction\nDROP INDEX CONCURRENTLY t_b_key;\nDROP INDEX CONCURRENTLY t_a_idx;\n",
		"20260103000000_after.up.sql":   "CREATE TABLE after_idx (id int);\n",
		"20260103000000_after.down.sql": "DROP TABLE after_idx;\n",
	}
	m := migrator(t, db, loadMap(t, files), Config{})
	_, err := m.Up(ctx)
	var de *DirtyError
	if !errors.As(err, &de) || !errors.Is(err, ErrDirty) {
		t.Fatalf("Up: %v, want a *DirtyError", err)
	}
	if de.FailedStmt != 1 || len(de.InvalidIndexes) != 1 || de.InvalidIndexes[0] != "public.t_b_key" {
		t.Errorf("dirty error: %+v", de)
	}
	if !strings.Contains(err.Error(), "public.t_b_key") || !strings.Contains(err.Error(), "resolve") {
		t.Errorf("message %q should name the invalid index and say to resolve", err)
	}
	var state string
	var failed *int
	if err := db.QueryRow(ctx, `SELECT state, failed_statement FROM lsos_migrate.revisions WHERE version = '20260102000000'`).Scan(&state, &failed); err != nil {
		t.Fatal(err)
	}
	if state != "dirty" || failed == nil || *failed != 1 {
		t.Errorf("revision row: %s %v", state, failed)
	}
	// The next run refuses and runs nothing.
	if _, err := m.Up(ctx); !errors.As(err, &de) {
		t.Fatalf("second Up: %v", err)
	}
	if exists(t, db, "public.after_idx") {
		t.Error("a later version ran past a dirty one")
	}
	if err := m.Resolve(ctx, "20260102000000", ResolvedApplied, ""); err == nil {
		t.Error("Resolve accepted an empty reason")
	}
	// Repair by hand, then resolve with a reason.
	if _, err := db.Exec(ctx, `DROP INDEX t_b_key; DELETE FROM t WHERE a = 2; CREATE UNIQUE INDEX t_b_key ON t (b)`); err != nil {
		t.Fatal(err)
	}
	if err := m.Resolve(ctx, "20260102000000", ResolvedApplied, "dropped duplicate row 2 and rebuilt t_b_key by hand"); err != nil {
		t.Fatal(err)
	}
	var note, reason string
	if err := db.QueryRow(ctx, `SELECT r.note, l.reason FROM lsos_migrate.revisions r JOIN lsos_migrate.revision_log l USING (version) WHERE version = '20260102000000' AND l.action = 'resolve-applied'`).Scan(&note, &reason); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(note, "dropped duplicate row 2") || reason != "dropped duplicate row 2 and rebuilt t_b_key by hand" {
		t.Errorf("recorded note %q reason %q", note, reason)
	}
	if res, err := m.Up(ctx); err != nil || len(res) != 1 {
		t.Fatalf("Up after resolve: %v %v", res, err)
	}
}

func TestResolveRolledBackRerunsFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	files := map[string]string{
		"20260101000000_t.up.sql":   "-- lsos:no-transaction\nCREATE TABLE t (a int);\nSELECT 1/0;\n",
		"20260101000000_t.down.sql": "DROP TABLE t;\n",
	}
	m := migrator(t, db, loadMap(t, files), Config{})
	if _, err := m.Up(ctx); !errors.Is(err, ErrDirty) {
		t.Fatalf("Up: %v", err)
	}
	if _, err := db.Exec(ctx, `DROP TABLE t`); err != nil {
		t.Fatal(err)
	}
	if err := m.Resolve(ctx, "20260101000000", ResolvedRolledBack, "dropped t by hand"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_migrate.revision_log WHERE action = 'resolve-rolled-back' AND reason = 'dropped t by hand'`); n != 1 {
		t.Errorf("resolve not logged")
	}
	if _, err := m.Up(ctx); !errors.Is(err, ErrDirty) {
		t.Fatalf("re-run of the unfixed file should fail dirty again: %v", err)
	}
	if err := m.Resolve(ctx, "20269999000000", ResolvedApplied, "x"); err == nil {
		t.Error("Resolve of an unknown version accepted")
	}
}

func TestMaintenanceWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	files := counted(1)
	files["20260102000000_rewrite.up.sql"] = "-- lsos:maintenance-window\nALTER TABLE t1 ALTER COLUMN id TYPE bigint;\n"
	files["20260102000000_rewrite.down.sql"] = "ALTER TABLE t1 ALTER COLUMN id TYPE int;\n"
	d := loadMap(t, files)
	p := governance.Default()
	p.Migrations.MaintenanceWindows = []string{"Sun 02:00-04:00 UTC"}
	wed := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

	db := pgtest.DB(t, "", nil)
	res, err := migrator(t, db, d, Config{Policy: p, Now: func() time.Time { return wed }}).Up(ctx)
	var we *WindowError
	if !errors.As(err, &we) || !errors.Is(err, ErrOutsideWindow) {
		t.Fatalf("Up outside the window: %v", err)
	}
	if we.NextOpen != "2026-11-29T02:00:00Z" || !strings.Contains(err.Error(), "2026-11-29T02:00:00Z") {
		t.Errorf("next window: %q in %q", we.NextOpen, err)
	}
	if len(res) != 1 || res[0].Version != "20260101000000" {
		t.Errorf("versions before the window version should apply: %+v", res)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_migrate.revisions WHERE version = '20260102000000'`); n != 0 {
		t.Error("window version applied outside the window")
	}
	sun := time.Date(2026, 11, 29, 2, 30, 0, 0, time.UTC)
	if _, err := migrator(t, db, d, Config{Policy: p, Now: func() time.Time { return sun }}).Up(ctx); err != nil {
		t.Fatalf("Up inside the window: %v", err)
	}
	var note string
	db.QueryRow(ctx, `SELECT note FROM lsos_migrate.revisions WHERE version = '20260102000000'`).Scan(&note)
	if !strings.Contains(note, "Sun 02:00-04:00 UTC") {
		t.Errorf("note %q", note)
	}

	db2 := pgtest.DB(t, "", nil)
	if _, err := migrator(t, db2, d, Config{Policy: p, Now: func() time.Time { return wed }, WindowOverride: "incident 42, approved by platform"}).Up(ctx); err != nil {
		t.Fatalf("Up with override: %v", err)
	}
	db2.QueryRow(ctx, `SELECT note FROM lsos_migrate.revisions WHERE version = '20260102000000'`).Scan(&note)
	if note != "maintenance window override: incident 42, approved by platform" {
		t.Errorf("override note %q", note)
	}
}

func TestTimeoutsFromPolicyAndDirectives(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	files := map[string]string{
		"20260101000000_seen.up.sql":      "-- lsos:statement_timeout 7s\nCREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lt, current_setting('statement_timeout') AS st;\n",
		"20260101000000_seen.down.sql":    "DROP TABLE seen;\n",
		"20260102000000_blocked.up.sql":   "ALTER TABLE seen ADD COLUMN x int;\n",
		"20260102000000_blocked.down.sql": "ALTER TABLE seen DROP COLUMN x;\n",
	}
	p := governance.Default()
	p.Migrations.LockTimeout = governance.Duration(300 * time.Millisecond)
	m := migrator(t, db, loadMap(t, files), Config{Policy: p})
	if _, err := m.UpTo(ctx, "20260101000000"); err != nil {
		t.Fatal(err)
	}
	var lt, st string
	if err := db.QueryRow(ctx, `SELECT lt, st FROM seen`).Scan(&lt, &st); err != nil {
		t.Fatal(err)
	}
	if lt != "300ms" || st != "7s" {
		t.Errorf("timeouts inside the migration: lock_timeout %s statement_timeout %s", lt, st)
	}
	// Production traffic holds a lock: the migration gives up after lock_timeout
	// instead of queueing behind it.
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE seen IN ACCESS SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	_, err = m.Up(ctx)
	if err == nil || !strings.Contains(err.Error(), "lock timeout") {
		t.Fatalf("Up behind a lock: %v", err)
	}
}

func TestLockWaitIsBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t, "", nil)
	db := poolFor(t, url)
	waited := false
	m := migrator(t, db, loadMap(t, counted(1)), Config{LockWait: 300 * time.Millisecond,
		Progress: func(e Event) { waited = waited || e.Kind == EventLockWait }})
	holder, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1)`, m.t.lockKey); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); !errors.Is(err, ErrLockTimeout) {
		t.Fatalf("Up while locked: %v", err)
	}
	if !waited {
		t.Error("no lock-wait event")
	}
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, m.t.lockKey); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatalf("Up after unlock: %v", err)
	}
}

func TestBaselineAndForce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	d := loadMap(t, counted(3))
	// An existing database built by hand up to v2.
	if _, err := db.Exec(ctx, `CREATE TABLE runs (version text NOT NULL); CREATE TABLE t1 (id int); CREATE TABLE t2 (id int)`); err != nil {
		t.Fatal(err)
	}
	m := migrator(t, db, d, Config{})
	res, err := m.Baseline(ctx, "20260102000000", "adopted prod schema 2026-11")
	if err != nil || len(res) != 2 {
		t.Fatalf("Baseline: %v %v", res, err)
	}
	if _, err := m.Baseline(ctx, "20260102000000", "again"); err == nil {
		t.Error("second Baseline accepted")
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_migrate.revisions WHERE kind = 'baseline' AND note LIKE '%adopted prod schema%'`); n != 2 {
		t.Errorf("baseline rows: %d", n)
	}
	if err := m.Force(ctx, "20260103000000", ""); err == nil {
		t.Error("Force accepted an empty reason")
	}
	if err := m.Force(ctx, "20260103000000", "created t3 by hand during incident 7"); err != nil {
		t.Fatal(err)
	}
	if res, err := m.Up(ctx); err != nil || len(res) != 0 {
		t.Fatalf("Up after force: %v %v", res, err)
	}
	if exists(t, db, "public.t3") {
		t.Error("a forced version ran")
	}
	if err := m.Force(ctx, "20260103000000", "again"); err == nil {
		t.Error("Force of an applied version accepted")
	}
}

func TestNewMigratorRejectsTx(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.DB(t, "", nil)
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := NewMigrator(tx, loadMap(t, counted(1)), Config{}); err == nil || !strings.Contains(err.Error(), "transaction") {
		t.Errorf("NewMigrator(tx): %v", err)
	}
	if _, err := NewMigrator(db, loadMap(t, counted(1)), Config{Schema: strings.Repeat("x", 70)}); err == nil {
		t.Error("a 70-byte schema name was accepted")
	}
}

// queryCounter counts the queries a pool sends.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	q.n.Add(1)
	return ctx
}
func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func TestUpNoopIsOneQuery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t, "", nil)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	qc := &queryCounter{}
	cfg.ConnConfig.Tracer = qc
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m := migrator(t, pool, loadMap(t, counted(5)), Config{})
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	qc.n.Store(0)
	if res, err := m.Up(ctx); err != nil || len(res) != 0 {
		t.Fatalf("no-op Up: %v %v", res, err)
	}
	if n := qc.n.Load(); n != 1 {
		t.Errorf("no-op Up sent %d queries, want 1", n)
	}
}

func pgtestURL(t testing.TB) string { return pgtest.URL(t, "", nil) }
