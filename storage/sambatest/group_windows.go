package sambatest

import (
	"os/exec"
	"syscall"
)

// Samba has no smbd for Windows: Start skips there (fails under CI) before
// any of this runs. These let the tests that use a Server compile, so
// GOOS=windows go vet checks them.

func procAttr() *syscall.SysProcAttr { return nil }

func killGroup(cmd *exec.Cmd, done <-chan struct{}) {
	_ = cmd.Process.Kill()
	<-done
}

// Freeze does nothing on Windows, where no smbd runs.
func (s *Server) Freeze() {}

// Thaw does nothing on Windows, where no smbd runs.
func (s *Server) Thaw() {}
