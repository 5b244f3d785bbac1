package reliability

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov"
	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/migrate"
)

// slowVersion sits between the sample's third and fourth versions. It is transactional:
// it creates a table, sleeps as long as reltest.sleep says (read when the statement
// starts), and inserts one row, so a process killed in the sleep has applied the earlier
// versions and none of this one.
const slowVersion = "20260103120000"

// startupDir copies the LSOS sample migrations into a directory, adds slowVersion, and
// writes atlas.sum. It returns the directory and its versions in order.
func startupDir(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	src := lsos.Migrations()
	names, err := fs.Glob(src, "*.sql")
	if err != nil || len(names) < 4 {
		t.Fatalf("sample migrations: %v %v", names, err)
	}
	for _, n := range names {
		b, err := fs.ReadFile(src, n)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range map[string]string{
		slowVersion + "_startup_slow.up.sql": "CREATE TABLE startup_marker (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, applied_by text NOT NULL DEFAULT current_setting('application_name'));\n" +
			"SELECT pg_sleep(seconds) FROM reltest.sleep;\n" +
			"INSERT INTO startup_marker DEFAULT VALUES;\n",
		slowVersion + "_startup_slow.down.sql": "DROP TABLE startup_marker;\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrate.Hash(dir); err != nil {
		t.Fatal(err)
	}
	d, err := migrate.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, v := range d.Versions {
		versions = append(versions, v.Version)
	}
	if !slices.Contains(versions, slowVersion) || versions[len(versions)-1] == slowVersion {
		t.Fatalf("versions %v: the slow version must sit between sample versions", versions)
	}
	return dir, versions
}

// startupDB returns a new empty database with the sleep control table.
func startupDB(t *testing.T, seconds float64) (string, *pgxpool.Pool) {
	t.Helper()
	url := pgtest.URL(t, "", nil)
	db := poolFor(t, url)
	if _, err := db.Exec(context.Background(), `CREATE SCHEMA reltest; CREATE TABLE reltest.sleep (seconds float8 NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(context.Background(), `INSERT INTO reltest.sleep VALUES ($1)`, seconds); err != nil {
		t.Fatal(err)
	}
	return url, db
}

func withAppName(url, name string) string {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "application_name=" + name
}

// waitFor polls cond every 20 ms until it holds, failing after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
	}
}

// TestStartupSIGKILLAcrossProcesses starts four processes calling lsosgov.Startup
// (Apply) at once on one empty database with the sample migrations plus a slow
// version. The lock holder is SIGKILLed while it sleeps inside the slow version (600 s
// to go), and a second process while it waits for the lock. The killed backend's session
// ends within seconds (the migrator sets client_connection_check_interval), which
// releases its advisory lock and rolls back the slow version; the two survivors finish,
// applying every remaining version exactly once between them; a further Startup applies
// nothing. Then the schema equals a database migrated without a kill, every version is
// applied and logged exactly once, the slow version's row exists once, and no advisory
// lock is left.
func TestStartupSIGKILLAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir, versions := startupDir(t)
	slowAt := slices.Index(versions, slowVersion)
	url, db := startupDB(t, 600)

	const n = 4
	cmds := make([]*exec.Cmd, n)
	apps := make([]string, n)
	results := make([]func() childResult, n)
	for i := range n {
		apps[i] = fmt.Sprintf("startup-child-%d", i)
		cmd, out, errOut := spawn(t, modeStartup, childArgs{URL: withAppName(url, apps[i]), Dir: dir})
		cmds[i] = cmd
		results[i] = func() childResult { return waitResult(t, cmd, out, errOut) }
	}

	// 1. The lock holder is asleep in the slow version, holding the migration lock.
	var holderPID int32
	var holderApp string
	waitFor(t, 60*time.Second, "a Startup process sleeping inside the slow version", func() bool {
		err := db.QueryRow(ctx, `SELECT pid, application_name FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event = 'PgSleep' AND application_name LIKE 'startup-child-%'`).Scan(&holderPID, &holderApp)
		return err == nil
	})
	holder := slices.Index(apps, holderApp)
	if count(t, db, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = $1`, holderPID) != 1 {
		t.Fatalf("the sleeping process (%s, backend %d) does not hold the migration lock", holderApp, holderPID)
	}
	// 2. Every other process is polling for that lock.
	waitFor(t, 60*time.Second, "the other processes waiting for the migration lock", func() bool {
		return count(t, db, `SELECT count(DISTINCT application_name) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name LIKE 'startup-child-%' AND application_name <> $1
			  AND query LIKE '%pg_try_advisory_lock%'`, holderApp) == n-1
	})
	if got := count(t, db, `SELECT count(*) FROM lsos_migrate.revisions WHERE state = 'applied'`); got != int64(slowAt) {
		t.Fatalf("%d versions applied before the slow one; want %d", got, slowAt)
	}
	// 3. Survivors will sleep briefly (the holder already read 600 s); kill the holder
	// in its sleep and one waiter in its lock wait.
	if _, err := db.Exec(ctx, `UPDATE reltest.sleep SET seconds = 0.2`); err != nil {
		t.Fatal(err)
	}
	waiter := (holder + 1) % n
	killedAt := time.Now()
	for _, i := range []int{holder, waiter} {
		if err := cmds[i].Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	// 4. The holder's backend ends and its session lock goes with it, long before the
	// statement it was running could have finished.
	waitFor(t, 60*time.Second, "the killed holder's backend to end and release its lock", func() bool {
		return count(t, db, `SELECT (SELECT count(*) FROM pg_stat_activity WHERE pid = $1) + (SELECT count(*) FROM pg_locks WHERE pid = $1)`, holderPID) == 0
	})
	released := time.Since(killedAt)
	for _, i := range []int{holder, waiter} {
		err := cmds[i].Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("%s: exit %v; want SIGKILL", apps[i], err)
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("%s ended with %v, not SIGKILL", apps[i], err)
		}
		killed.Add(1)
	}
	// 5. The survivors finish, applying the rest exactly once between them.
	applied := map[string]int{}
	for i := range n {
		if i == holder || i == waiter {
			continue
		}
		r := results[i]()
		if r.Err != "" {
			t.Fatalf("surviving %s failed: %s", apps[i], r.Err)
		}
		for _, v := range r.Applied {
			applied[v]++
		}
	}
	for i, v := range versions {
		want := 0
		if i >= slowAt {
			want = 1
		}
		if applied[v] != want {
			t.Fatalf("survivors applied %s %d times, want %d (all: %v)", v, applied[v], want, applied)
		}
	}
	// 6. Startup again: nothing to do.
	d, err := migrate.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := lsosgov.Startup(ctx, db, lsosgov.StartupConfig{Dir: d, Apply: true})
	if err != nil || len(rep.Applied) != 0 {
		t.Fatalf("Startup after the survivors: applied %v, %v; want nothing", rep.Applied, err)
	}

	// Invariants.
	for _, v := range d.Versions {
		var state, checksum string
		var applies, others int64
		if err := db.QueryRow(ctx, `SELECT state, checksum,
				(SELECT count(*) FROM lsos_migrate.revision_log l WHERE l.version = r.version AND l.action = 'apply'),
				(SELECT count(*) FROM lsos_migrate.revision_log l WHERE l.version = r.version AND l.action <> 'apply')
			FROM lsos_migrate.revisions r WHERE version = $1`, v.Version).Scan(&state, &checksum, &applies, &others); err != nil {
			t.Fatalf("revision %s: %v", v.Version, err)
		}
		if state != migrate.StateApplied || checksum != v.Up.Checksum || applies != 1 || others != 0 {
			t.Fatalf("revision %s: state %s, checksum ok %v, %d apply and %d other log records; want applied, matching, 1 and 0", v.Version, state, checksum == v.Up.Checksum, applies, others)
		}
	}
	// The holder applied the versions before the slow one and nothing after.
	var holderLog []string
	rows, err := db.Query(ctx, `SELECT version FROM lsos_migrate.revision_log WHERE application_name = $1 ORDER BY version`, holderApp)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		holderLog = append(holderLog, v)
	}
	if rows.Err() != nil || !slices.Equal(holderLog, versions[:slowAt]) {
		t.Fatalf("the killed holder's log records: %v (%v); want %v", holderLog, rows.Err(), versions[:slowAt])
	}
	var markers int64
	var markerBy string
	if err := db.QueryRow(ctx, `SELECT count(*), max(applied_by) FROM startup_marker`).Scan(&markers, &markerBy); err != nil || markers != 1 || markerBy == holderApp {
		t.Fatalf("startup_marker: %d rows by %q (%v); want 1 row by a survivor", markers, markerBy, err)
	}
	if n := count(t, db, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`); n != 0 {
		t.Fatalf("%d advisory locks left", n)
	}
	_, ref := startupDB(t, 0)
	if _, err := lsosgov.Startup(ctx, ref, lsosgov.StartupConfig{Dir: d, Apply: true}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(schemaShape(t, ref, "reltest"), schemaShape(t, db, "reltest")); diff != "" {
		t.Fatalf("schema after the kills differs from an uninterrupted migration (-want +got):\n%s", diff)
	}
	t.Logf("FIGURE startup kill: %d Startup processes, holder SIGKILLed in version %s (600 s sleep left) and 1 waiter SIGKILLed in its lock wait; the lock was released %s after the kill; survivors applied %d versions once each (slow version by %s); %d versions, schema equal to an uninterrupted run",
		n, slowVersion, released.Round(10*time.Millisecond), len(versions)-slowAt, markerBy, len(versions))
}
