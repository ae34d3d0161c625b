//go:build !windows

package watchdog_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this test binary has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
