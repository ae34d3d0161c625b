//go:build !windows

package sambatest

import (
	"os/exec"
	"syscall"
	"time"
)

// killGroup ends the session smbd leads: the parent and every child it
// forked for a client connection, so that open connections break at once.
// SIGTERM to the parent first: it signals its children and reaps them
// before it exits, so none is left a zombie for an init that may not reap
// (pid 1 in some containers does not). SIGKILL to the group is the fallback.
func killGroup(cmd *exec.Cmd, done <-chan struct{}) {
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGCONT) // a frozen smbd cannot act on SIGTERM
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	// A child that outlived the parent would keep the port or a
	// connection; sweep the group once more.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// Freeze stops smbd and its children with SIGSTOP: connections stay open
// but nothing answers, as with a hung server. Thaw resumes them.
func (s *Server) Freeze() { s.signalGroup(syscall.SIGSTOP) }

// Thaw resumes a frozen server.
func (s *Server) Thaw() { s.signalGroup(syscall.SIGCONT) }

func (s *Server) signalGroup(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = syscall.Kill(-s.cmd.Process.Pid, sig)
	}
}
