//go:build !linux && !windows

package client

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"
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

// stopLeftover kills what is left of the command's process group and waits
// until it has gone.
func stopLeftover(m RunningCommand) error {
	deadline := time.Now().Add(10 * time.Second)
	for leftover(m) {
		if err := syscall.Kill(-m.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("stopping what is left of process group %d: %w", m.PID, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process group %d is still there 10 seconds after it was killed", m.PID)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}
