//go:build !linux && !windows

package client

import (
	"os/exec"
	"syscall"
)

// shellArgs are /bin/sh's arguments that run line. Without a parent-death
// signal there is nothing to guard: what a killed engine leaves is stopped
// at its next start.
func shellArgs(line string) []string { return []string{"-c", line} }

// dieWithParent has nothing to set where the kernel has no parent-death
// signal.
func dieWithParent(*syscall.SysProcAttr) {}

func afterStart(*exec.Cmd) (release func(), proc string) { return func() {}, "" }

// leftover reports whether the command's process group still has members.
func leftover(m RunningCommand) bool {
	return m.PID > 0 && syscall.Kill(-m.PID, 0) == nil
}
