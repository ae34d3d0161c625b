//go:build windows

package client

import (
	"context"
	"os/exec"
	"strconv"
	"syscall"
)

// shellCommand runs line with `cmd /c`. The command line is passed as it
// is (cmd.exe has its own quoting rules, which Go's argument escaping would
// break).
func shellCommand(ctx context.Context, line string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "cmd.exe")
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: `cmd.exe /d /s /c "` + line + `"`}
	killGroup(cmd)
	return cmd
}

// killGroup kills the command's whole process tree when ctx ends, so that
// an installer's children do not outlive its time-out.
func killGroup(cmd *exec.Cmd) {
	cmd.Cancel = func() error {
		kill := exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(cmd.Process.Pid))
		if err := kill.Run(); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
}
