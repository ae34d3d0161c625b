package pack

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// goSource returns $(go env GOROOT)/src or skips.
func goSource(b *testing.B) string {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip("no go command here:", err)
	}
	src := filepath.Join(strings.TrimSpace(string(goroot)), "src")
	if _, err := os.Stat(src); err != nil {
		b.Skip("no Go source tree here:", err)
	}
	return src
}

// BenchmarkPack packs the Go source tree (about 15,000 files) to nowhere
// and reports source MB/s and the compression ratio. Compare by hand with
//
//	time tar -c -C $(go env GOROOT) src | zstd -3 -T0 > /dev/null
func BenchmarkPack(b *testing.B) {
	src := goSource(b)
	for _, level := range []int{1, 3, 7} {
		b.Run("level"+string(rune('0'+level)), func(b *testing.B) {
			_, _, n, err := SourceDigest(context.Background(), src)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(n)
			var st Stats
			for b.Loop() {
				if st, err = Pack(context.Background(), src, io.Discard, Options{Level: level}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(st.SourceBytes)/float64(st.Size), "ratio")
		})
	}
}

// BenchmarkUnpack unpacks the Go source tree, packed once, into a fresh
// folder each time and reports source MB/s.
func BenchmarkUnpack(b *testing.B) {
	src := goSource(b)
	var archive bytes.Buffer
	st, err := Pack(context.Background(), src, &archive, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.SourceBytes)
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		dst := filepath.Join(dir, strconv.Itoa(i))
		if _, err := Unpack(context.Background(), bytes.NewReader(archive.Bytes()), dst, UnpackOptions{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(dst)
		b.StartTimer()
	}
}

// TestPackMemory packs the folder named by OPENSMS_PACK_BIG (make one of
// 1 GiB to see that memory stays flat) and logs speed and the memory the
// Go runtime took from the system. Run it under /usr/bin/time -v for RSS.
func TestPackMemory(t *testing.T) {
	src := os.Getenv("OPENSMS_PACK_BIG")
	if src == "" {
		t.Skip("set OPENSMS_PACK_BIG to a large folder to measure memory while packing")
	}
	start := time.Now()
	st, err := Pack(context.Background(), src, io.Discard, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("packed %d files, %.0f MiB in %v (%.0f MB/s) to %.0f MiB; Go runtime Sys %.0f MiB, HeapSys %.0f MiB, TotalAlloc %.0f MiB",
		st.Files, float64(st.SourceBytes)/(1<<20), d.Round(time.Millisecond), float64(st.SourceBytes)/1e6/d.Seconds(),
		float64(st.Size)/(1<<20), float64(ms.Sys)/(1<<20), float64(ms.HeapSys)/(1<<20), float64(ms.TotalAlloc)/(1<<20))
}
