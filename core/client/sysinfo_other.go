//go:build !linux && !darwin && !windows

package client

// freeDisk is not known on this system.
func freeDisk(dir string) uint64 { return 0 }
