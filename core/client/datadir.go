package client

import (
	"os"
	"path/filepath"
	"runtime"
)

// MachineDataDir is the client agent's data directory when it runs as a
// system service (root, SYSTEM): one enrolment for the computer, not one
// per user. The PCM window and `smsctl pcm` look for the agent's socket
// there when no data directory is given.
func MachineDataDir() string {
	switch runtime.GOOS {
	case "windows":
		base := os.Getenv("ProgramData")
		if base == "" {
			base = `C:\ProgramData`
		}
		return filepath.Join(base, "OpenSMS", "client")
	case "darwin":
		return "/Library/Application Support/OpenSMS/client"
	}
	return "/var/lib/opensms-client"
}
