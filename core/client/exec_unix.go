//go:build !windows

package client

import (
	"context"
	"os/exec"
	"syscall"
)

// shellCommand runs line with `sh -c` in a process group of its own that
// dies with the engine (see shellArgs and dieWithParent).
func shellCommand(ctx context.Context, line string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "/bin/sh", shellArgs(line)...)
	killGroup(cmd)
	return cmd
}

// killGroup makes the command lead a new process group and, when ctx ends,
// kills the whole group, so that an installer's children do not outlive
// its time-out; where the platform can, the group also dies with the
// engine's process.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	dieWithParent(cmd.SysProcAttr)
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
