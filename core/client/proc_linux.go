package client

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// guard is the shell that stands between the engine and a command line.
// The kernel sends it SIGHUP when the engine dies (Pdeathsig, even for
// kill -9), and it then kills its whole process group: the installer and
// everything the installer started. A parent-death signal alone reaches
// only the direct child. Otherwise it passes the command's exit code on.
const guard = `trap 'kill -KILL 0' HUP
/bin/sh -c "$1" &
wait $!`

// shellArgs are /bin/sh's arguments that run line under the guard.
func shellArgs(line string) []string {
	return []string{"-c", guard, "opensms-run", line}
}

// dieWithParent asks the kernel to send SIGHUP to the command when the
// engine's process dies.
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGHUP }

// afterStart returns what tells the started process apart from a later one
// with the same number: the boot it started in and its start tick.
func afterStart(cmd *exec.Cmd) (release func(), proc string) {
	return func() {}, procToken(cmd.Process.Pid)
}

func procToken(pid int) string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	st, err := readStat(pid)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(boot)) + "/" + st.start
}

// procStat is what the engine reads of /proc/PID/stat.
type procStat struct {
	state byte
	pgrp  int
	start string // clock ticks after boot
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	// The command name is in parentheses and may hold anything.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return procStat{}, errors.New("unreadable stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 { // fields 3 (state) to 22 (starttime)
		return procStat{}, errors.New("short stat")
	}
	pgrp, err := strconv.Atoi(f[2])
	if err != nil {
		return procStat{}, err
	}
	return procStat{state: f[0][0], pgrp: pgrp, start: f[19]}, nil
}

// leftover reports whether processes of the command m recorded are still
// there: its process group, as long as its leader has not been replaced by
// an unrelated process of the same number (Linux does not give a group's
// number to a new process while the group has members).
func leftover(m RunningCommand) bool {
	if m.PID <= 0 {
		return false
	}
	boot, tick, _ := strings.Cut(m.Proc, "/")
	if cur, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil && boot != "" && strings.TrimSpace(string(cur)) != boot {
		return false // the computer restarted since
	}
	if st, err := readStat(m.PID); err == nil && tick != "" && st.start != tick {
		return false // the number belongs to another process now
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return syscall.Kill(-m.PID, 0) == nil
	}
	for _, d := range ents {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil && st.pgrp == m.PID && st.state != 'Z' {
			return true
		}
	}
	return false
}
