//go:build linux || darwin

package client

import (
	"path/filepath"
	"syscall"
)

// freeDisk returns the bytes free to this user on the file system holding
// dir (or its nearest existing parent); 0 when unknown.
func freeDisk(dir string) uint64 {
	for {
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err == nil {
			return uint64(st.Bavail) * uint64(st.Bsize)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return 0
		}
		dir = parent
	}
}
