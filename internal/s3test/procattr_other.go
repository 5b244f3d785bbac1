//go:build !linux

package s3test

import "syscall"

// procAttr: without a parent-death signal the server outlives a killed test binary;
// the next start sweeps its files, and Main stops it on a normal exit.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
