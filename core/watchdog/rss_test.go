package watchdog_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"opensms/core/model"
)

// rssBenchEnv turns on TestPeakRSSPackAndPush1GiB, which needs about 4 GB
// of disk and a minute: run it by hand, not in make test:
//
//	OPENSMS_RSS_BENCH=1 go test -run PeakRSS -v ./core/watchdog
const rssBenchEnv = "OPENSMS_RSS_BENCH"

// rssLimit is what packing and pushing a 1 GiB source may hold in memory.
const rssLimit = 200 << 20

// The watchdog packs a 1 GiB source (incompressible, so the archive is 1
// GiB too) and pushes it to two Samba servers while the process stays under
// rssLimit of resident memory: nothing is held whole.
func TestPeakRSSPackAndPush1GiB(t *testing.T) {
	if os.Getenv(rssBenchEnv) == "" {
		t.Skipf("set %s=1 to run this benchmark (about 4 GB of disk)", rssBenchEnv)
	}
	r := newRig(t)
	for i := range 8 {
		writeRandom(t, filepath.Join(r.src, fmt.Sprintf("part%d.bin", i)), 128<<20, uint64(i+10))
	}
	base := peakRSS(t)
	j := r.addJob(nil)
	start := time.Now()
	r.runOnce()
	took := time.Since(start)
	got := r.wantState(j.ID, model.JobActive)
	peak := peakRSS(t)
	t.Logf("archive %d bytes packed and pushed to 2 servers in %v (%.0f MB/s of archive per server)",
		got.Status.ArchiveSize, took.Round(time.Millisecond), float64(got.Status.ArchiveSize)/took.Seconds()/(1<<20))
	t.Logf("peak RSS %d MB (before the cycle %d MB; limit %d MB)", peak>>20, base>>20, rssLimit>>20)
	if peak > rssLimit {
		t.Errorf("peak RSS %d MB is over %d MB", peak>>20, rssLimit>>20)
	}
	r.wantArchiveOnServers(r.pkg.ID, got.Status.Archive, "DIST1", "DIST2")
}

// peakRSS reads the process's high-water mark of resident memory (Linux).
func peakRSS(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("cannot read peak RSS here: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	t.Skip("no VmHWM in /proc/self/status")
	return 0
}
