package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lsos/lsosgov"
	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/faults"
	"github.com/lsos/lsosgov/internal/parquetio"
	"github.com/lsos/lsosgov/migrate"
	"github.com/lsos/lsosgov/retention"
)

// The crash harness re-executes this test binary as a child process (see TestMain).
// The child runs one operation and, at the chosen point, inside the library's own hook
// (a progress callback, AfterBatch, or right after a faults.WithCrashAfter crash point stopped the run), sends
// SIGKILL to itself: no deferred function, no rollback, no goodbye to the server.
const (
	envChild = "LSOS_RELIABILITY_CHILD"
	envArgs  = "LSOS_RELIABILITY_ARGS"
)

// Child modes.
const (
	modeMigrate  = "migrate"  // migrate.Up on Dir; KillAt "stmt:<version>:<index>"
	modeArchive  = "archive"  // archive.Run on Partitions; KillAt "after:<state>" or "crash:<step>"
	modeOffboard = "offboard" // HardDelete of Tenant; KillAt "batch:<n>"
	modeUpload   = "upload"   // write and read back one object in the file:// store Dir
	modeStartup  = "startup"  // lsosgov.Startup (Apply) with the migration directory Dir; killed by the parent
)

type childArgs struct {
	URL        string
	Dir        string // migration directory or file store directory
	Partitions []string
	Tenant     string
	BatchSize  int
	KillAt     string
	Now        time.Time
}

// childResult is what a child that was not killed prints on stdout.
type childResult struct {
	Archive *archive.Report         `json:",omitempty"`
	Delete  *retention.DeleteResult `json:",omitempty"`
	Applied []string                `json:",omitempty"` // versions Startup applied
	Err     string                  `json:",omitempty"`
}

func killSelf() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // never returns: the kernel ends the process
}

func runChild(mode string) int {
	var a childArgs
	if err := json.Unmarshal([]byte(os.Getenv(envArgs)), &a); err != nil {
		fmt.Fprintln(os.Stderr, "child: bad args:", err)
		return 2
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, a.URL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	defer pool.Close()
	now := func() time.Time { return a.Now }
	p := governance.Default()
	var res childResult
	switch mode {
	case modeMigrate:
		d, err := migrate.Load(a.Dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 2
		}
		kv, ki := "", -1
		if f := strings.Split(a.KillAt, ":"); len(f) == 3 && f[0] == "stmt" {
			kv, ki = f[1], atoi(f[2])
		}
		m, err := migrate.NewMigrator(pool, d, migrate.Config{Progress: func(e migrate.Event) {
			if e.Kind == migrate.EventStatement && e.Direction == migrate.Up && e.Version == kv && e.Statement == ki {
				killSelf()
			}
		}})
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 2
		}
		if _, err := m.Up(ctx); err != nil {
			res.Err = err.Error()
		}
	case modeArchive:
		store, err := parquetio.OpenBucket(ctx, "file://"+a.Dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 2
		}
		defer store.Close()
		opts := archive.Options{Now: now, Actor: "reliability-child"}
		for _, n := range a.Partitions {
			opts.Partitions = append(opts.Partitions, archive.Partition{Name: n})
		}
		kind, arg, _ := strings.Cut(a.KillAt, ":")
		switch kind {
		case "after":
			opts.Progress = func(e archive.Event) {
				if e.Detail == arg {
					killSelf()
				}
			}
		}
		runCtx := ctx
		if kind == "crash" {
			runCtx = faults.WithCrashAfter(ctx, arg)
		}
		rep, err := archive.Run(runCtx, pool, store, p, opts)
		if errors.Is(err, faults.ErrCrash) {
			killSelf()
		}
		res.Archive = rep
		if err != nil {
			res.Err = err.Error()
		}
	case modeStartup:
		d, err := migrate.Load(a.Dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 2
		}
		rep, err := lsosgov.Startup(ctx, pool, lsosgov.StartupConfig{Dir: d, Apply: true, LockWait: 2 * time.Minute})
		if rep != nil {
			for _, r := range rep.Applied {
				res.Applied = append(res.Applied, r.Version)
			}
		}
		if err != nil {
			res.Err = err.Error()
		}
	case modeUpload:
		if err := uploadProbe(ctx, a.Dir); err != nil {
			res.Err = err.Error()
		}
	case modeOffboard:
		var batches atomic.Int64
		stopAt := int64(-1)
		if n, ok := strings.CutPrefix(a.KillAt, "batch:"); ok {
			stopAt = int64(atoi(n))
		}
		ob, err := retention.NewOffboarder(pool, p, retention.OffboardConfig{Actor: "reliability-child", Now: now, BatchSize: a.BatchSize,
			AfterBatch: func(table string, batch int, rows int64) error {
				if batches.Add(1) == stopAt {
					killSelf()
				}
				return nil
			}})
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 2
		}
		res.Delete, err = ob.HardDelete(ctx, a.Tenant)
		if err != nil {
			res.Err = err.Error()
		}
	default:
		fmt.Fprintln(os.Stderr, "child: unknown mode", mode)
		return 2
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 2
	}
	return 0
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// spawn starts a child in mode with a (and extra "KEY=value" environment entries, which
// override the parent's); the caller waits for it.
func spawn(t *testing.T, mode string, a childArgs, env ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	js, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), envChild+"="+mode, envArgs+"="+string(js)), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, &out, &errOut
}

// runKilled runs a child and fails unless it died of SIGKILL (it reached the kill point).
func runKilled(t *testing.T, mode string, a childArgs) {
	t.Helper()
	cmd, out, errOut := spawn(t, mode, a)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child %s (%s) was not killed: exit %v\nstdout: %s\nstderr: %s", mode, a.KillAt, err, out, errOut)
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child %s (%s) ended with %v, not SIGKILL\nstdout: %s\nstderr: %s", mode, a.KillAt, err, out, errOut)
	}
	killed.Add(1)
	waitSessionLocksReleased(t, a.URL)
}

// waitSessionLocksReleased waits until no session of the database url holds an advisory
// lock. A SIGKILLed child's backend ends (releasing its session locks) only when the
// server notices the closed socket, a moment after the child is gone; a re-run started
// before that would find the partition "locked by another worker" and skip it.
func waitSessionLocksReleased(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for deadline := time.Now().Add(30 * time.Second); ; {
		var n int
		if err := c.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d advisory locks still held 30 s after the child was killed", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitResult waits for a child that must exit normally and decodes its result.
func waitResult(t *testing.T, cmd *exec.Cmd, out, errOut *bytes.Buffer) childResult {
	t.Helper()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v\nstdout: %s\nstderr: %s", err, out, errOut)
	}
	var r childResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	return r
}

// killed counts the child processes killed by the harness.
var killed atomic.Int64
