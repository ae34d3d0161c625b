// Package packtest makes archives for tests of what checks them.
package packtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"opensms/core/pack"
)

// skippableFrame is the magic of a zstd skippable frame (RFC 8878 3.1.2),
// which every decoder passes over.
const skippableFrame = 0x184D2A50

// Substitute packs the tree src and pads the archive to exactly size bytes
// with a zstd skippable frame: a valid archive of another tree, as big as
// the one a site signed, that only its SHA-256 tells apart. Tests put it
// where the signed archive was, so that a client which skipped the hash
// check would unpack and run it. It fails the test if the tree packs to
// more than size-8 bytes, or if the result does not unpack.
func Substitute(t testing.TB, src string, size int64) []byte {
	t.Helper()
	dir := t.TempDir()
	_, p, err := pack.PackFile(context.Background(), src, dir, pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	pad := size - int64(len(b))
	if pad < 8 {
		t.Fatalf("packtest: %s packs to %d bytes, too many to pass for an archive of %d", src, len(b), size)
	}
	frame := make([]byte, pad)
	binary.LittleEndian.PutUint32(frame, skippableFrame)
	binary.LittleEndian.PutUint32(frame[4:], uint32(pad-8))
	b = append(b, frame...)
	if _, err := pack.Unpack(context.Background(), bytes.NewReader(b), t.TempDir(), pack.UnpackOptions{}); err != nil {
		t.Fatalf("packtest: the substitute archive does not unpack: %v", err)
	}
	return b
}

// ShareTree writes the same tree into each folder, as a share can carry
// it: files 0644, folders 0755 and whole-second modification times, so
// that packing it from a share and from a local copy must give one
// archive. files maps slash-separated names to contents; emptyDirs are
// folders with nothing in them.
func ShareTree(t testing.TB, files map[string]string, emptyDirs []string, dirs ...string) {
	t.Helper()
	when := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	for _, dir := range dirs {
		for name, data := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range emptyDirs {
			if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(name)), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil {
				err = os.Chtimes(p, when, when)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
}
