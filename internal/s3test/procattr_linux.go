package s3test

import "syscall"

// procAttr makes the server die with the test binary, even when it is killed or panics
// (parent-death signal), and keeps it out of the terminal's process group.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
