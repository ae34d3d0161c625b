package client

import (
	"os/exec"
	"syscall"
	"testing"
)

// What a dead engine's command left behind is found by its process group
// and stopped, while a process that only got the same number is left alone.
func TestLeftoverProcessesAreStopped(t *testing.T) {
	// A group of two without the guard, as an engine without a
	// parent-death signal would leave it.
	cmd := exec.Command("/bin/sh", "-c", "sleep 300 & sleep 300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	m := RunningCommand{Job: "S0100010", PID: cmd.Process.Pid, Proc: procToken(cmd.Process.Pid)}
	if m.Proc == "" {
		t.Fatal("no process token")
	}
	other := m
	other.Proc = m.Proc + "0" // the same number, another process
	if leftover(other) {
		t.Error("a process that only has the same number counts as left over")
	}
	if !leftover(m) {
		t.Fatal("the running group does not count as left over")
	}
	if err := stopLeftover(m); err != nil {
		t.Fatal(err)
	}
	<-done
	if leftover(m) {
		t.Error("still there after stopLeftover")
	}
	if leftover(RunningCommand{Job: "S0100010"}) {
		t.Error("a mark without a process counts as left over")
	}
}
