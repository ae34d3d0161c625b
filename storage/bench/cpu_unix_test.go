//go:build unix

package bench

import (
	"syscall"
	"time"
)

// cpuTime is the CPU (user and system) this process and its reaped
// children have used: a sample's difference is its CPU cost, which a
// loaded machine does not change as it changes the wall clock. Samba's
// own processes are not reaped by the bench and do not count on either
// side.
func cpuTime() time.Duration {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(kids.Utime) + tv(kids.Stime)
}
