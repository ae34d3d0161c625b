//go:build windows

package client

import (
	"fmt"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// freeDisk returns the bytes free to this user on the volume holding dir
// (or its nearest existing parent); 0 when unknown.
func freeDisk(dir string) uint64 {
	for {
		p, err := windows.UTF16PtrFromString(dir)
		if err != nil {
			return 0
		}
		var free, total, totalFree uint64
		if windows.GetDiskFreeSpaceEx(p, &free, &total, &totalFree) == nil {
			return free
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return 0
		}
		dir = parent
	}
}

// systemVersion returns the Windows version, e.g. "Windows 10.0.22631".
func systemVersion() string {
	v := windows.RtlGetVersion()
	return fmt.Sprintf("Windows %d.%d.%d", v.MajorVersion, v.MinorVersion, v.BuildNumber)
}
