package watchdog_test

import "time"

// cpuTime is not measured on Windows, where the scale test (it needs smbd)
// does not run; it only lets the package's tests compile for go vet.
func cpuTime() time.Duration { return 0 }
