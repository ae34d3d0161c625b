//go:build !windows

package client_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"opensms/core/model"
)

// waitGone waits until the process whose pid is in pidFile has gone (a
// zombie counts as gone: it runs nothing).
func waitGone(t *testing.T, pidFile string) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the command wrote no pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		if st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && strings.Contains(string(st), ") Z") {
			return
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("process %d outlived the time-out", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hostile builds a tar+zstd archive from entries, as an attacker who got
// the administrator to sign it would.
func hostile(t *testing.T, entries ...*tar.Header) archive {
	t.Helper()
	var raw bytes.Buffer
	zw, err := zstd.NewWriter(&raw)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(zw)
	for _, h := range entries {
		body := []byte("#!/bin/sh\necho pwned\n")
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(body))
		}
		if h.Mode == 0 {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(body)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	sum := sha256.Sum256(raw.Bytes())
	p := filepath.Join(t.TempDir(), "a.tzst")
	os.WriteFile(p, raw.Bytes(), 0o644)
	return archive{sha: hex.EncodeToString(sum[:]), size: int64(raw.Len()), path: p}
}

func TestUnpackRefusesEntriesThatLeaveTheCache(t *testing.T) {
	cases := []struct {
		name    string
		entries func(outside string) []*tar.Header
		victim  func(outside string) string // must not exist afterwards
	}{
		{"dot-dot", func(o string) []*tar.Header {
			return []*tar.Header{{Name: "install.sh", Typeflag: tar.TypeReg}, {Name: "../../../../../../../../" + o[1:] + "/evil", Typeflag: tar.TypeReg}}
		}, func(o string) string { return filepath.Join(o, "evil") }},
		{"absolute path", func(o string) []*tar.Header {
			return []*tar.Header{{Name: "install.sh", Typeflag: tar.TypeReg}, {Name: o + "/evil", Typeflag: tar.TypeReg}}
		}, func(o string) string { return filepath.Join(o, "evil") }},
		{"escaping link", func(o string) []*tar.Header {
			return []*tar.Header{{Name: "install.sh", Typeflag: tar.TypeReg}, {Name: "out", Typeflag: tar.TypeSymlink, Linkname: o}, {Name: "out/evil", Typeflag: tar.TypeReg}}
		}, func(o string) string { return filepath.Join(o, "evil") }},
		{"relative link that climbs", func(o string) []*tar.Header {
			return []*tar.Header{{Name: "install.sh", Typeflag: tar.TypeReg}, {Name: "up", Typeflag: tar.TypeSymlink, Linkname: "../../../../../../../../../.."}}
		}, func(o string) string { return filepath.Join(o, "evil") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSite(t)
			a := hostile(t, c.entries(s.out)...)
			s.distribute(0, a)
			s.instruct(s.offer("S0100010", a, nil))
			s.poll()
			h, err := s.eng.Run(context.Background(), "S0100010", nil)
			if err == nil || h.State != model.TargetFailed || !strings.Contains(h.Error, "refused to unpack") || h.ExitCode != nil {
				t.Fatalf("run: %+v, %v", h, err)
			}
			if _, err := os.Stat(c.victim(s.out)); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("%s was written outside the cache", c.victim(s.out))
			}
			if _, err := os.Stat(s.cacheDir(a)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a refused package is in the cache: %v", err)
			}
			if st := s.status("S0100010"); st.State != model.TargetFailed || !strings.Contains(st.Error, "refused to unpack") {
				t.Errorf("status %+v", st)
			}
			t.Log(h.Error)
		})
	}
}
