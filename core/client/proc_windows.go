package client

import (
	"fmt"
	"os/exec"
	"strconv"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// afterStart puts the started command into a job object that kills every
// process in it when its last handle closes: when the run ends (release)
// or when the engine dies, however it dies, since Windows closes a dead
// process's handles. A process the command starts in the instant before
// it is assigned escapes the job; the engine's next start stops what it
// can find. The proc token is the process's creation time.
func afterStart(cmd *exec.Cmd) (release func(), proc string) {
	release = func() {}
	pid := uint32(cmd.Process.Pid)
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE|windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return release, ""
	}
	defer windows.CloseHandle(h)
	proc = creationTime(h)
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return release, proc
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{
		BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE},
	}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return release, proc
	}
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		windows.CloseHandle(job)
		return release, proc
	}
	return func() { windows.CloseHandle(job) }, proc
}

func creationTime(h windows.Handle) string {
	var c, e, k, u windows.Filetime
	if windows.GetProcessTimes(h, &c, &e, &k, &u) != nil {
		return ""
	}
	return strconv.FormatInt(c.Nanoseconds(), 10)
}

// leftover reports whether the command's process is still running (and is
// the same process, not a later one with its number).
func leftover(m RunningCommand) bool {
	if m.PID <= 0 {
		return false
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(m.PID))
	if err != nil {
		return false
	}
	defer windows.CloseHandle(h)
	if m.Proc != "" && creationTime(h) != m.Proc {
		return false
	}
	var code uint32
	return windows.GetExitCodeProcess(h, &code) == nil && code == 259 // STILL_ACTIVE
}

// stopLeftover ends the command's process tree and waits until it has gone.
func stopLeftover(m RunningCommand) error {
	deadline := time.Now().Add(10 * time.Second)
	for leftover(m) {
		_ = exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(m.PID)).Run()
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d is still there 10 seconds after it was ended", m.PID)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}
