//go:build unix

package query

import (
	"syscall"
	"time"
)

// cpuTime is the CPU this process has used: benchmarks report it per
// operation because the wall clock of a shared machine says more about the
// other processes than about the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
