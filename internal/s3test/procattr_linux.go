package s3test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// procAttr makes the server die with the test binary, even when it is killed or panics
// (parent-death signal), and keeps it out of the terminal's process group.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

// waitStopped waits until every thread of process pid is in the stopped state ('T' in
// /proc/<pid>/task/<tid>/stat), so that a frozen server runs no further instruction.
func waitStopped(pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		running, err := runningThreads(pid)
		if err == nil && running == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("s3test: weed pid %d did not stop within %s (%d threads running, %v)", pid, timeout, running, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runningThreads counts the threads of pid that are not stopped.
func runningThreads(pid int) (int, error) {
	stats, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if err != nil || len(stats) == 0 {
		return -1, fmt.Errorf("no threads of pid %d in /proc: %v", pid, err)
	}
	n := 0
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread exited
		}
		// The state follows the command name, which is in parentheses and may hold any byte.
		_, rest, ok := strings.Cut(string(b[strings.LastIndexByte(string(b), ')')+1:]), " ")
		if !ok || rest == "" {
			return -1, fmt.Errorf("unexpected %s: %q", p, b)
		}
		if rest[0] != 'T' && rest[0] != 't' {
			n++
		}
	}
	return n, nil
}
