//go:build !windows

package smbfs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"opensms/core/share"
	"opensms/storage/sambatest"
	"opensms/storage/smbfs"
)

// BenchmarkPutAtomic256MB pushes one 256 MB file to Samba on loopback, as
// the watchdog pushes an archive, on SMB 2.1 and 3.1.1 against each server
// profile, and reports the CPU both sides spent per MB. Compare with
// smbclient by hand:
//
//	smbclient //127.0.0.1/DIST1 -p PORT -U user%pass -c 'put FILE'
func BenchmarkPutAtomic256MB(b *testing.B) {
	const size = 256 << 20
	data := payload(size)
	var plain *sambatest.Server
	for _, p := range append([]sambatest.Profile{sambatest.Plain}, sambatest.Profiles...) {
		srv := sambatest.Start(b, sambatest.Options{Profile: p})
		if p == sambatest.Plain {
			plain = srv
		}
		for _, d := range []uint16{smbfs.SMB210, smbfs.SMB311} {
			if p == sambatest.EncryptionRequired && d == smbfs.SMB210 {
				continue // SMB 2.1 cannot encrypt
			}
			b.Run(fmt.Sprintf("%s/dialect=%#x", p, d), func(b *testing.B) {
				fsys := open(b, srv, srv.Location(dist), smbfs.Options{Dialect: d})
				b.SetBytes(size)
				var self, server time.Duration
				for b.Loop() {
					s0, d0 := cpuSelf(), cpuOf("smbd", srv.ConfPath())
					if _, err := share.PutAtomic(context.Background(), fsys, "bench.bin", bytes.NewReader(data), size, share.PutOptions{}); err != nil {
						b.Fatal(err)
					}
					self += cpuSelf() - s0
					server += cpuOf("smbd", srv.ConfPath()) - d0
				}
				mb := float64(b.N) * size / 1e6
				b.ReportMetric(float64(self.Milliseconds())/mb, "client-cpu-ms/MB")
				b.ReportMetric(float64(server.Milliseconds())/mb, "smbd-cpu-ms/MB")
			})
		}
	}
	srv := plain
	for _, par := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("fetch/parallel=%d", par), func(b *testing.B) {
			fsys := open(b, srv, srv.Location(dist), smbfs.Options{})
			dst := filepath.Join(b.TempDir(), "bench.bin")
			b.SetBytes(size)
			for b.Loop() {
				os.Remove(dst)
				if _, err := share.FetchWith(context.Background(), fsys, "bench.bin", dst, size, share.FetchOptions{Parallel: par, Hash: sha256.New()}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFanOut pushes one 64 MB file (the size of the GOROOT archive)
// to 1 and to 4 shares at once, as the watchdog's Distribute phase does,
// and reports the CPU both sides spent per byte: on 2 cores the fan-out is
// bound by that sum (go-smb2 and smbd each sign or check every message).
func BenchmarkFanOut(b *testing.B) {
	const size = 64 << 20
	data := payload(size)
	shares := []string{"DIST1", "DIST2", "DIST3", "DIST4"}
	srv := sambatest.Start(b, sambatest.Options{Shares: shares})
	for _, n := range []int{1, 4} {
		b.Run(fmt.Sprintf("servers=%d", n), func(b *testing.B) {
			var fss []*smbfs.FS
			for _, sh := range shares[:n] {
				fss = append(fss, open(b, srv, srv.Location(sh), smbfs.Options{}))
			}
			b.SetBytes(int64(n) * size)
			var self, server time.Duration
			for b.Loop() {
				s0, d0 := cpuSelf(), cpuOf("smbd", srv.ConfPath())
				var wg sync.WaitGroup
				for _, fsys := range fss {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if _, err := share.PutAtomic(context.Background(), fsys, "fan.bin", bytes.NewReader(data), size, share.PutOptions{}); err != nil {
							b.Error(err)
						}
					}()
				}
				wg.Wait()
				self += cpuSelf() - s0
				server += cpuOf("smbd", srv.ConfPath()) - d0
			}
			mb := float64(b.N) * float64(n) * size / 1e6
			b.ReportMetric(float64(self.Milliseconds())/mb, "client-cpu-ms/MB")
			b.ReportMetric(float64(server.Milliseconds())/mb, "smbd-cpu-ms/MB")
		})
	}
}

func cpuSelf() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuOf sums the CPU time of the running processes named comm whose
// command line holds arg (the server's configuration: other tests on the
// machine run their own smbd).
func cpuOf(comm, arg string) time.Duration {
	var total time.Duration
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(b)
		i, j := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if i < 0 || j < i || s[i+1:j] != comm {
			continue
		}
		if cmd, err := os.ReadFile(filepath.Join(filepath.Dir(p), "cmdline")); err != nil || !strings.Contains(string(cmd), arg) {
			continue
		}
		f := strings.Fields(s[j+2:])
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
	}
	return total
}
