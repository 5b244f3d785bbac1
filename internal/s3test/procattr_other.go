//go:build !linux

package s3test

import (
	"syscall"
	"time"
)

// procAttr: without a parent-death signal the server outlives a killed test binary;
// the next start sweeps its files, and Main stops it on a normal exit.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// waitStopped: without /proc, give the SIGSTOP a moment to reach every thread.
func waitStopped(pid int, timeout time.Duration) error {
	time.Sleep(min(timeout, 100*time.Millisecond))
	return nil
}
