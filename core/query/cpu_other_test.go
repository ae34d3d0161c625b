//go:build !unix

package query

import "time"

// cpuTime is unknown here: benchmarks report 0 CPU.
func cpuTime() time.Duration { return 0 }
