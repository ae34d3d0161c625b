//go:build !unix

package bench

import "time"

// cpuTime is not measured here; rows show 0 CPU.
func cpuTime() time.Duration { return 0 }
