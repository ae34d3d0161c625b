//go:build !linux

package bench

import (
	"time"

	"opensms/storage/sambatest"
)

// smbdCPU is not measured here; rows show 0.
func smbdCPU(*sambatest.Server) time.Duration { return 0 }
