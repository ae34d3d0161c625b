package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"opensms/storage/sambatest"
)

// smbdCPU is the CPU time (user and system, with the children they have
// reaped) of srv's smbd processes: the server's side of a row, which the
// bench's own rusage does not see. Each connection's smbd is a child of
// the main one, which reaps it when the connection ends.
func smbdCPU(srv *sambatest.Server) time.Duration {
	conf := []byte(srv.ConfPath())
	procs, _ := filepath.Glob("/proc/[0-9]*")
	var ticks int64
	for _, p := range procs {
		cmd, err := os.ReadFile(filepath.Join(p, "cmdline"))
		if err != nil || !bytes.Contains(cmd, conf) || !bytes.Contains(cmd, []byte("smbd")) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(p, "stat"))
		if err != nil {
			continue
		}
		// Fields after the command's closing parenthesis: utime, stime,
		// cutime and cstime are the 12th to 15th.
		_, rest, _ := bytes.Cut(stat, []byte(") "))
		f := strings.Fields(string(rest))
		for _, i := range []int{11, 12, 13, 14} {
			if i < len(f) {
				n, _ := strconv.ParseInt(f[i], 10, 64)
				ticks += n
			}
		}
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ is 100 on Linux
}
