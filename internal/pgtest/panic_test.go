package pgtest

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHelperPanickingProcess is run as a child by TestServerDiesWithPanickingTestBinary:
// it starts a server, prints the server's pid and data dir, then panics.
func TestHelperPanickingProcess(t *testing.T) {
	if os.Getenv("PGTEST_PANIC_CHILD") != "1" {
		return
	}
	s, err := startLocal(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := os.ReadFile(filepath.Join(s.Dir(), "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("SERVER " + strings.SplitN(string(pid), "\n", 2)[0] + " " + s.Dir() + "\n")
	panic("test panics with a server running")
}

func TestServerDiesWithPanickingTestBinary(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPanickingProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "PGTEST_PANIC_CHILD=1")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	var dir string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "SERVER" {
			pid, _ = strconv.Atoi(f[1])
			dir = f[2]
		}
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("child test binary did not fail although it panicked")
	}
	if pid == 0 {
		t.Fatal("child never reported its server")
	}
	// The parent-death signal takes the server down with the panicking binary.
	deadline := time.Now().Add(15 * time.Second)
	for !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("server pid %d still running 15s after its test binary panicked", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The next start sweeps the dead binary's files.
	sweepStale(filepath.Dir(dir))
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("cluster dir %s of a dead test binary was not swept", dir)
	}
}
