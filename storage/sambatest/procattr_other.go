//go:build !linux && !windows

package sambatest

import "syscall"

// procAttr starts smbd in a session of its own: it signals its whole
// process group when it exits, which would otherwise take the test binary
// along.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true}
}
